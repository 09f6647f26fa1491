"""Stopping a CLI command: Ctrl-C and SIGTERM both end it within a few seconds.

Both cancel the command's task. A command following a generation then asks for that
generation to be cancelled (the person stopped *their* generation) and waits briefly for it to
end; the embedded server, if any, stops on the way out — closing its streams and flushing the
event log — so the process exits promptly either way.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from contextlib import aclosing
from typing import Any

from rich.console import Console

from apiforge.client import ApiforgeClient

# How long a stopped command waits for its generation to reach cancelled before it exits
# anyway (cancellation takes effect at once while streaming, only after a running validation).
CANCEL_WAIT_S = 2.0
EXIT_INTERRUPTED = 130  # the shell's code for a Ctrl-C
EXIT_TERMINATED = 143  # the shell's code for a SIGTERM


def run_stoppable(coro: Coroutine[Any, Any, int]) -> int:
    """``asyncio.run`` where SIGTERM stops the command the way Ctrl-C does."""
    try:
        return asyncio.run(_cancelled_by_sigterm(coro))
    except KeyboardInterrupt:  # Ctrl-C arrived before the command could stop cleanly
        return EXIT_INTERRUPTED


async def _cancelled_by_sigterm(coro: Coroutine[Any, Any, int]) -> int:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    terminated = asyncio.Event()

    def on_sigterm() -> None:
        terminated.set()
        task.cancel()

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        code = await coro
    except asyncio.CancelledError:
        if not terminated.is_set():
            raise  # Ctrl-C: asyncio.run turns it into KeyboardInterrupt
        task.uncancel()
        return EXIT_TERMINATED
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
    return EXIT_TERMINATED if terminated.is_set() else code


async def stop_generation(
    client: ApiforgeClient, console: Console, project_id: str, number: int, seen: int | None
) -> int:
    """Cancel the followed generation and wait a moment for it to end."""
    task = asyncio.current_task()
    if task is not None:
        # Let the awaits below run: the cancellation that brought us here is being handled.
        task.uncancel()
    console.print(f"[yellow]Stopping: cancelling v{number}…[/]")
    ended = None
    try:
        async with asyncio.timeout(CANCEL_WAIT_S):
            await client.cancel(project_id)
            events = client.events(project_id, last_event_id=seen, until_version=number)
            async with aclosing(events) as stream:
                async for event in stream:
                    if event.version_number == number:
                        ended = event.type
    except TimeoutError:
        pass
    if ended is None:
        console.print(
            f"[yellow]Stopped.[/] v{number} had not finished its current step; "
            f"`apiforge versions {project_id}` shows where it ended up."
        )
    else:
        console.print(f"[yellow]Cancelled v{number}[/] ({ended}).")
    return EXIT_INTERRUPTED
