"""The full current state of a project, for a client whose position was trimmed away."""

from __future__ import annotations

from apiforge.events.types import Snapshot
from apiforge.server.state import AppServices
from apiforge.store import repository as repo
from apiforge.versions import load_version_files


async def build_snapshot(services: AppServices, project_id: str) -> Snapshot:
    async with services.db.read() as session:
        version = await repo.latest_version(session, project_id)
        if version is None:
            return Snapshot(project_id=project_id, version_number=0, version={})
        live = services.runtime.runs.live(project_id)
        step: str | None
        if live is not None and live.version_number == version.version_number:
            step, files = live.step, dict(live.files)
        else:
            step = "complete" if version.status == "complete" else None
            files = await load_version_files(
                session,
                project_id=project_id,
                version_number=version.version_number,
                cache=services.runtime.cache,
            )
    return Snapshot(
        project_id=project_id,
        version_number=version.version_number,
        version=repo.version_dict(version),
        step=step,
        files=files,
    )
