"""Every task the app starts ends with its lifespan: a generation's workflow task included,
which DBOS starts and the app did not own (tests/core/test_core_restart.py has the end-to-end
stop and resume)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from apiforge.generation.plumbing.workflow_tasks import WorkflowTasks
from apiforge.settings import Settings
from tests.in_process_app import in_process_app


async def test_no_task_outlives_the_lifespan_stopped_mid_generation(tmp_path: Path) -> None:
    before = asyncio.all_tasks()
    settings = Settings(data_dir=tmp_path / "data", validator="none", engine_delay_ms=50)
    async with in_process_app(settings) as (app, client):
        created = await client.post("/api/projects", json={"prompt": "a todo API"})
        assert created.status_code == 201, created.text
        runs = app.state.services.runtime.runs
        for _ in range(200):
            if len(runs):
                break
            await asyncio.sleep(0.01)
        assert len(runs) == 1, "the generation should be running when the app stops"
    assert not _generation_tasks(asyncio.all_tasks() - before)
    # DBOS's watcher of preemptible steps (one per loop, its own) polls once a second and
    # ends at its next poll once no step waits on it: the app's tasks have already ended.
    left = asyncio.all_tasks() - before - {asyncio.current_task()}
    await asyncio.wait(left, timeout=3)
    assert not [task.get_coro() for task in left if not task.done()]


def _generation_tasks(tasks: set[asyncio.Task[object]]) -> list[str]:
    """The still-running tasks whose coroutine is apiforge's or a DBOS workflow's."""
    coros = [task.get_coro() for task in tasks if not task.done()]
    # Some are not coroutines (an async generator's asend): their repr names them.
    names = [getattr(coro, "__qualname__", repr(coro)) for coro in coros]
    return [name for name in names if "workflow" in name.lower() or "Generation" in name]


async def test_a_stop_cancels_running_workflows_and_lets_a_finishing_one_end() -> None:
    tasks = WorkflowTasks()
    ended: list[str] = []

    async def workflow(name: str, finishing: bool) -> None:
        with tasks.running():
            if finishing:
                tasks.finishing()
            try:
                await asyncio.sleep(0.2)
                ended.append(name)
            except asyncio.CancelledError:
                ended.append(f"{name} cancelled")
                raise

    running = [asyncio.create_task(workflow(n, n == "last step")) for n in ("mid", "last step")]
    await asyncio.sleep(0)
    assert len(tasks) == 2
    await tasks.interrupt(timeout_s=5)
    assert sorted(ended) == ["last step", "mid cancelled"]
    assert all(task.done() for task in running) and len(tasks) == 0
