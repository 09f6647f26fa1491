"""A small async Python client for an apiforge server.

``events()`` yields typed events and, when the connection drops, reconnects by itself with
``Last-Event-ID`` so the caller sees every event exactly once, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import aconnect_sse

from apiforge.errors import ApiforgeError, ConflictError, InputError, NotFoundError

if TYPE_CHECKING:
    from apiforge.events.types import Event

# Project ids are uuid4 hex; anything shorter is taken as the start of one.
FULL_ID_LENGTH = 32
_ERRORS_BY_STATUS: dict[int, type[ApiforgeError]] = {404: NotFoundError, 409: ConflictError}


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    retryable = False
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        retryable = error.get("retryable") is True
    except (ValueError, KeyError, TypeError, AttributeError):
        code, message = "http_error", f"HTTP {response.status_code}: {response.text[:200]}"
    default: type[ApiforgeError] = InputError if response.status_code < 500 else ApiforgeError
    cls = _ERRORS_BY_STATUS.get(response.status_code, default)
    raise cls(message, code=code, retryable=retryable)


class ApiforgeClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0, token: str | None = None) -> None:
        """``token``: a personal API token (``POST /api/tokens``) for a password-mode server."""
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else None
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, headers=headers)

    async def __aenter__(self) -> ApiforgeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        _raise_for_error(response)
        return response.json() if response.content else None

    async def health(self, *, timeout: float | None = None) -> dict[str, Any]:
        """The server's status; ``timeout`` (seconds) overrides the client's for this call."""
        limit = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
        result: dict[str, Any] = await self._request("GET", "/api/health", timeout=limit)
        return result

    async def create_project(self, prompt: str, name: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"prompt": prompt}
        if name:
            body["name"] = name
        result: dict[str, Any] = await self._request("POST", "/api/projects", json=body)
        return result

    async def iterate(self, project_id: str, prompt: str) -> dict[str, Any]:
        path = f"/api/projects/{project_id}/versions"
        result = await self._request("POST", path, json={"prompt": prompt})
        return dict(result["version"])

    async def projects(self) -> list[dict[str, Any]]:
        return list((await self._request("GET", "/api/projects"))["projects"])

    async def resolve_project_id(self, text: str) -> str:
        """The project id ``text`` is, or uniquely starts (like git's short hashes).

        Resolved here rather than by the server, so REST paths keep taking exact ids only.
        """
        wanted = text.strip()
        if len(wanted) >= FULL_ID_LENGTH:
            return wanted  # a whole id: the server says whether it exists
        if not wanted:
            raise InputError("Give a project id, or its first characters", code="invalid_input")
        matches = [p for p in await self.projects() if p["id"].startswith(wanted.lower())]
        if not matches:
            raise NotFoundError(f"No project id starts with {wanted!r}", code="not_found")
        if len(matches) > 1:
            listing = "".join(f"\n  {p['id']}  {p['name']}" for p in matches)
            raise InputError(
                f"{wanted!r} starts {len(matches)} project ids; give more characters:{listing}",
                code="ambiguous_id",
            )
        return str(matches[0]["id"])

    async def project(self, project_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("GET", f"/api/projects/{project_id}")
        return result

    async def versions(self, project_id: str) -> list[dict[str, Any]]:
        return list(
            (await self._request("GET", f"/api/projects/{project_id}/versions"))["versions"]
        )

    async def files(self, project_id: str, number: int) -> dict[str, str]:
        path = f"/api/projects/{project_id}/versions/{number}/files"
        return dict((await self._request("GET", path))["files"])

    async def diff(
        self, project_id: str, number: int, against: int | None = None
    ) -> dict[str, Any]:
        """Per-file changes of version ``number`` against ``against`` (default: the previous)."""
        params = {"against": against} if against is not None else {}
        path = f"/api/projects/{project_id}/versions/{number}/diff"
        result: dict[str, Any] = await self._request("GET", path, params=params)
        return result

    async def restore(self, project_id: str, number: int) -> dict[str, Any]:
        """A new version holding version ``number``'s files; returns that version."""
        path = f"/api/projects/{project_id}/versions/{number}/restore"
        return dict((await self._request("POST", path))["version"])

    async def regenerate(self, project_id: str, number: int) -> dict[str, Any]:
        """Start a new version re-running version ``number``'s prompt; returns that version."""
        path = f"/api/projects/{project_id}/versions/{number}/regenerate"
        return dict((await self._request("POST", path))["version"])

    async def fork(self, project_id: str, number: int) -> dict[str, Any]:
        """A new project from version ``number``; returns ``{"project", "version"}``."""
        path = f"/api/projects/{project_id}/versions/{number}/fork"
        result: dict[str, Any] = await self._request("POST", path)
        return result

    async def _download(self, path: str) -> bytes:
        response = await self._http.get(path)
        _raise_for_error(response)
        return response.content

    async def archive(self, project_id: str, number: int) -> bytes:
        """Version ``number`` as ZIP bytes."""
        return await self._download(f"/api/projects/{project_id}/versions/{number}/archive.zip")

    async def history_bundle(self, project_id: str) -> bytes:
        """The project's completed versions as git bundle bytes (``git clone`` can read it)."""
        return await self._download(f"/api/projects/{project_id}/history.bundle")

    async def messages(self, project_id: str) -> list[dict[str, Any]]:
        return list(
            (await self._request("GET", f"/api/projects/{project_id}/messages"))["messages"]
        )

    async def cancel(self, project_id: str) -> bool:
        return bool(
            (await self._request("POST", f"/api/projects/{project_id}/cancel"))["cancelled"]
        )

    async def delete(self, project_id: str) -> None:
        await self._request("DELETE", f"/api/projects/{project_id}")

    async def events(
        self,
        project_id: str,
        *,
        last_event_id: int | None = None,
        until_version: int | None = None,
        max_reconnects: int = 20,
    ) -> AsyncGenerator[Event]:
        """Events of the project, resuming after drops; ends after ``until_version`` finishes."""
        last_id, failures = last_event_id, 0
        while True:
            try:
                async for event in self._events_once(project_id, last_id):
                    failures = 0
                    last_id = event.seq
                    yield event
                    if _ends(event, until_version):
                        return
            except (httpx.TransportError, httpx.StreamError):
                pass
            failures += 1
            if failures > max_reconnects:
                raise ApiforgeError(
                    "Lost the event stream and could not reconnect", code="stream_lost"
                )
            await asyncio.sleep(min(0.1 * failures, 2.0))

    async def _events_once(self, project_id: str, last_id: int | None) -> AsyncIterator[Event]:
        # Imported here: the event models cost a CLI command that never streams ~0.1 s to load.
        from apiforge.events.types import parse_event

        headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
        timeout = httpx.Timeout(10.0, read=None)
        path = f"/api/stream/{project_id}"
        async with aconnect_sse(
            self._http, "GET", path, headers=headers, timeout=timeout
        ) as source:
            if not source.response.is_success:
                await source.response.aread()
                _raise_for_error(source.response)
            async for sse in source.aiter_sse():
                if sse.data:
                    yield parse_event(sse.data)


def _ends(event: Event, until_version: int | None) -> bool:
    if until_version is None or event.version_number != until_version:
        return False
    from apiforge.events.types import TERMINAL_TYPES

    return event.type in TERMINAL_TYPES
