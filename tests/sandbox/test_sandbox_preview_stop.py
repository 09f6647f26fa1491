"""A server stopped while a generation's last step boots its version's preview (the CLI's
embedded server stops right after the version:complete it waited for): the boot gives up, the
step ends and the workflow is done, instead of the stop waiting for the boot (seconds on a busy
machine, and at most 5 s, after which the step was cancelled and ran again at the next start).

The app runs in this process (its lifespan, real sandbox); only the full preview's boot is made
to hang until cancelled, so "the stop came during that boot" is a fact of the test, not a race.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from collections.abc import Mapping
from typing import Any

import pytest

from apiforge.generation.steps.workflow import workflow_id
from apiforge.sandbox import preview as preview_module
from apiforge.sandbox.preview import PreviewManager
from apiforge.sandbox.stages import RunningApp, start_app
from apiforge.settings import Settings
from tests.in_process_app import in_process_app
from tests.sandbox.conftest import needs_bwrap

pytestmark = [pytest.mark.sandbox, pytest.mark.slow, needs_bwrap]

VALIDATED_S = 120.0  # a generation with validation on a loaded 2-core machine, with room
FULL_PREVIEW = contextvars.ContextVar("full_preview", default=False)


@pytest.fixture
def full_preview_boot_hangs(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """A version's full preview (not a partial one) never finishes booting; set once one boots."""
    hanging = asyncio.Event()
    start = PreviewManager.start

    async def start_marked(
        manager: PreviewManager,
        project_id: str,
        version_number: int,
        files: Mapping[str, str],
        *,
        partial: bool = False,
        replacing: int | None = None,
    ) -> str:
        token = FULL_PREVIEW.set(not partial)
        try:
            return await start(
                manager, project_id, version_number, files, partial=partial, replacing=replacing
            )
        finally:
            FULL_PREVIEW.reset(token)

    async def start_app_hanging(*args: Any, **kwargs: Any) -> RunningApp:
        if FULL_PREVIEW.get():
            hanging.set()
            await asyncio.Event().wait()
        return await start_app(*args, **kwargs)

    monkeypatch.setattr(PreviewManager, "start", start_marked)
    monkeypatch.setattr(preview_module, "start_app", start_app_hanging)
    return hanging


async def test_a_stop_during_the_last_steps_preview_boot_lets_the_workflow_end(
    sandbox_settings: Settings, full_preview_boot_hangs: asyncio.Event
) -> None:
    async with in_process_app(sandbox_settings) as (_, client):
        created = await client.post("/api/projects", json={"prompt": "a todo API with tasks"})
        assert created.status_code == 201, created.text
        await asyncio.wait_for(full_preview_boot_hangs.wait(), VALIDATED_S)
    project_id, version_id = created.json()["project"]["id"], created.json()["version"]["id"]
    # Done: the next start has nothing of it to run again (PENDING had it re-run the step).
    assert _workflow_status(sandbox_settings, workflow_id(version_id)) == "SUCCESS"
    # And nothing said about the preview: a stop is no failure of it.
    assert _event_types(sandbox_settings, project_id)[-1] == "version:complete"


def _workflow_status(settings: Settings, workflow: str) -> str:
    path = settings.resolved_dbos_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT status FROM workflow_status WHERE workflow_uuid = ?", (workflow,)
        ).fetchone()
    assert row is not None, f"no workflow {workflow}"
    status: str = row[0]
    return status


def _event_types(settings: Settings, project_id: str) -> list[str]:
    with sqlite3.connect(settings.data_dir / "apiforge.sqlite3") as db:
        rows = db.execute(
            "SELECT type FROM events WHERE project_id = ? ORDER BY seq", (project_id,)
        ).fetchall()
    return [row[0] for row in rows]
