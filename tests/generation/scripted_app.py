"""A real apiforge server talking to the scripted model, with the scripted validator.

The tests of the LLM path differ only in which stage the validator fails and how many fix rounds
the server allows; everything else about their server is this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.providers.protocols import Dialect
from tests.providers.scripted_server import Gate, Reply, Step
from tests.server_process import ServerProcess

from .scripted_thread import ThreadedScriptedServer

OPENAI = Dialect("openai")


def chunked(text: str, size: int = 30) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def model_reply(text: str, *, chunk: int = 30, usage: tuple[int, int] = (50, 20)) -> Reply:
    """``text`` streamed in small chunks, as a model would."""
    return OPENAI.reply(chunked(text, chunk), usage=usage)


def gated_reply(*parts: str | Gate) -> Reply:
    """The parts streamed in order (a text in 60-character chunks); each Gate holds the rest
    until the test opens it."""
    steps: list[Step] = []
    for part in parts:
        steps += [part] if isinstance(part, Gate) else OPENAI.opening(chunked(part, 60))
    return Reply(steps + OPENAI.ending())


@contextmanager
def scripted_app_server(
    data_dir: Path, model: ThreadedScriptedServer, *, fail_stage: str, fix_rounds: int
) -> Iterator[ServerProcess]:
    process = ServerProcess(
        data_dir,
        env={
            **model.openai_env(),
            "APIFORGE_VALIDATOR": "tests.generation.scripted_validator:ScriptedValidator",
            "APIFORGE_TEST_FAIL_STAGE": fail_stage,
            "APIFORGE_TEST_STAGE_DELAY_MS": "0",
            "APIFORGE_FIX_ROUNDS": str(fix_rounds),
        },
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()
