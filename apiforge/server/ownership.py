"""Every project belongs to one user; a route that names a project serves only its owner.

Routes take the project's id as :data:`OwnedProjectId` instead of a plain path string, so the
check cannot be left out of one: the dependency reads the principal and answers 404 — the same
answer as for an id that names nothing — unless the principal owns the project. Admins are no
exception: they manage accounts, not other people's projects (docs/security.md).
``tests/core/test_core_ownership.py`` walks the app's routes and fails on a project route that
is not checked. The WebSocket checks through the same repository function after its handshake
(``routes_stream.py``), so that a refusal reaches the client as a close code it can read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from apiforge.auth.principal import CurrentPrincipal
from apiforge.server.state import Services
from apiforge.store import repository as repo


async def owned_project_id(project_id: str, principal: CurrentPrincipal, services: Services) -> str:
    async with services.db.read() as session:
        await repo.get_owned_project(session, project_id, owner_id=principal.user_id)
    return project_id


OwnedProjectId = Annotated[str, Depends(owned_project_id)]
