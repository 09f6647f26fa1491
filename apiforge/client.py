"""A small async Python client for an apiforge server.

``events()`` yields typed events and, when the connection drops, reconnects by itself with
``Last-Event-ID`` so the caller sees every event exactly once, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from httpx_sse import EventSource, aconnect_sse
from pydantic import BaseModel, ValidationError

from apiforge.api_models import (
    Cancelled,
    GenerationResult,
    Health,
    Message,
    MessageList,
    OneVersion,
    ProjectAndVersion,
    ProjectDetail,
    ProjectList,
    ProjectSummary,
    StreamStatus,
    Version,
    VersionDiff,
    VersionFiles,
    VersionList,
)
from apiforge.api_models_auth import (
    CreateUserBody,
    LoginBody,
    LoginResult,
    Me,
    NewToken,
    TokenBody,
    TokenList,
    TokenOut,
    UserList,
    UserOut,
    UserPatch,
)
from apiforge.client_errors import raise_for_error, still_running_error
from apiforge.errors import ApiforgeError, InputError, NotFoundError

if TYPE_CHECKING:
    from apiforge.events.types import Event

M = TypeVar("M", bound=BaseModel)

# Project ids are uuid4 hex; anything shorter is taken as the start of one.
FULL_ID_LENGTH = 32


def _body(model: type[BaseModel], **fields: Any) -> dict[str, Any]:
    """A request body of the documented shape, left for the server to check: its refusal is an
    ``InputError`` like any other, not a pydantic error raised here."""
    return model.model_construct(**fields).model_dump()


class ApiforgeClient:
    """Every method answers with the models of ``apiforge.api_models`` (the OpenAPI shapes).

    ``token`` is sent as ``Authorization: Bearer …`` on every request, the event stream included.
    Without one, ``login`` signs in like the browser does: the client keeps the session cookie
    and sends the session's CSRF token with every later request.
    """

    def __init__(self, base_url: str, *, timeout: float = 30.0, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, headers=headers)

    @property
    def sends_token(self) -> bool:
        """Whether requests carry a bearer token (given at construction)."""
        return "Authorization" in self._http.headers

    async def __aenter__(self) -> ApiforgeClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = await self._http.request(method, path, **kwargs)
        raise_for_error(response)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as wrong:
            # Another program at the URL, or a server of another apiforge version.
            raise ApiforgeError(
                f"{self.base_url}{path} did not answer an apiforge {model.__name__}: "
                f"{wrong.error_count()} problem(s), first: {wrong.errors()[0]['msg']}",
                code="unexpected_answer",
            ) from wrong

    async def health(self, *, timeout: float | None = None) -> Health:
        """The server's status; ``timeout`` (seconds) overrides the client's for this call."""
        limit = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
        return await self._call(Health, "GET", "/api/health", timeout=limit)

    async def create_project(self, prompt: str, name: str | None = None) -> ProjectAndVersion:
        body: dict[str, str] = {"prompt": prompt}
        if name:
            body["name"] = name
        return await self._call(ProjectAndVersion, "POST", "/api/projects", json=body)

    async def iterate(self, project_id: str, prompt: str) -> Version:
        path = f"/api/projects/{project_id}/versions"
        return (await self._call(OneVersion, "POST", path, json={"prompt": prompt})).version

    async def generate(
        self, prompt: str, project_id: str | None = None, *, wait_s: float | None = None
    ) -> GenerationResult:
        """Run a generation (a new project, or the next version of ``project_id``) and return
        it once it ended, files and validation included, whether it completed or failed.

        Raises GenerationTimeout (naming the version, which goes on) when it takes longer than
        ``wait_s`` or the server's APIFORGE_GENERATE_WAIT_S.
        """
        params = {"wait_s": wait_s} if wait_s is not None else {}
        # The server bounds the wait; the read timeout must not end it first.
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        body = _generate_body(prompt, project_id)
        response = await self._http.post("/api/generate", json=body, params=params, timeout=timeout)
        if response.status_code == 504:
            raise still_running_error(response)
        raise_for_error(response)
        return GenerationResult.model_validate_json(response.content)

    async def generate_events(
        self, prompt: str, project_id: str | None = None
    ) -> AsyncGenerator[Event]:
        """Run a generation as ``generate`` does, yielding its events as they happen through
        its terminal one. Not resumed after a drop (that would start another generation): go on
        with ``events(project_id, last_event_id=…)``, the ids being the same."""
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        body = _generate_body(prompt, project_id)
        async with aconnect_sse(
            self._http,
            "POST",
            "/api/generate",
            params={"stream": "true"},
            json=body,
            timeout=timeout,
        ) as source:
            async for event in _events_of(source):
                yield event

    async def projects(self) -> list[ProjectSummary]:
        return (await self._call(ProjectList, "GET", "/api/projects")).projects

    async def resolve_project_id(self, text: str) -> str:
        """The project id ``text`` is, or uniquely starts (like git's short hashes).

        Resolved here rather than by the server, so REST paths keep taking exact ids only.
        """
        wanted = text.strip()
        if len(wanted) >= FULL_ID_LENGTH:
            return wanted  # a whole id: the server says whether it exists
        if not wanted:
            raise InputError("Give a project id, or its first characters", code="invalid_input")
        matches = [p for p in await self.projects() if p.id.startswith(wanted.lower())]
        if not matches:
            raise NotFoundError(f"No project id starts with {wanted!r}", code="not_found")
        if len(matches) > 1:
            listing = "".join(f"\n  {p.id}  {p.name}" for p in matches)
            raise InputError(
                f"{wanted!r} starts {len(matches)} project ids; give more characters:{listing}",
                code="ambiguous_id",
            )
        return matches[0].id

    async def project(self, project_id: str) -> ProjectDetail:
        """The project with all its versions."""
        return await self._call(ProjectDetail, "GET", f"/api/projects/{project_id}")

    async def versions(self, project_id: str) -> list[Version]:
        path = f"/api/projects/{project_id}/versions"
        return (await self._call(VersionList, "GET", path)).versions

    async def version(self, project_id: str, number: int) -> Version:
        path = f"/api/projects/{project_id}/versions/{number}"
        return (await self._call(OneVersion, "GET", path)).version

    async def files(self, project_id: str, number: int) -> dict[str, str]:
        """Path → content of version ``number``, sorted by path."""
        path = f"/api/projects/{project_id}/versions/{number}/files"
        return (await self._call(VersionFiles, "GET", path)).files

    async def diff(self, project_id: str, number: int, against: int | None = None) -> VersionDiff:
        """Per-file changes of version ``number`` against ``against`` (default: the previous)."""
        params = {"against": against} if against is not None else {}
        path = f"/api/projects/{project_id}/versions/{number}/diff"
        return await self._call(VersionDiff, "GET", path, params=params)

    async def restore(self, project_id: str, number: int) -> Version:
        """A new version holding version ``number``'s files; returns that version."""
        path = f"/api/projects/{project_id}/versions/{number}/restore"
        return (await self._call(OneVersion, "POST", path)).version

    async def regenerate(self, project_id: str, number: int) -> Version:
        """Start a new version re-running version ``number``'s prompt; returns that version."""
        path = f"/api/projects/{project_id}/versions/{number}/regenerate"
        return (await self._call(OneVersion, "POST", path)).version

    async def fork(self, project_id: str, number: int) -> ProjectAndVersion:
        """A new project from version ``number``, with its first version."""
        path = f"/api/projects/{project_id}/versions/{number}/fork"
        return await self._call(ProjectAndVersion, "POST", path)

    async def _download(self, path: str) -> bytes:
        response = await self._http.get(path)
        raise_for_error(response)
        return response.content

    async def archive(self, project_id: str, number: int) -> bytes:
        """Version ``number`` as ZIP bytes."""
        return await self._download(f"/api/projects/{project_id}/versions/{number}/archive.zip")

    async def history_bundle(self, project_id: str) -> bytes:
        """The project's completed versions as git bundle bytes (``git clone`` can read it)."""
        return await self._download(f"/api/projects/{project_id}/history.bundle")

    async def messages(self, project_id: str) -> list[Message]:
        path = f"/api/projects/{project_id}/messages"
        return (await self._call(MessageList, "GET", path)).messages

    async def cancel(self, project_id: str) -> bool:
        """Whether a running generation was asked to stop (False: none was running)."""
        path = f"/api/projects/{project_id}/cancel"
        return (await self._call(Cancelled, "POST", path)).cancelled

    async def stream_status(self, project_id: str) -> StreamStatus:
        """Open connections to the project's events, its generation's state, its last event id
        and its preview's state."""
        path = f"/api/projects/{project_id}/stream-status"
        return await self._call(StreamStatus, "GET", path)

    async def delete(self, project_id: str) -> None:
        await self._no_content("DELETE", f"/api/projects/{project_id}")

    async def _no_content(self, method: str, path: str) -> None:
        raise_for_error(await self._http.request(method, path))

    async def login(self, username: str, password: str) -> LoginResult:
        """Sign in (password mode); later calls act with this session until ``logout``."""
        body = _body(LoginBody, username=username, password=password)
        result = await self._call(LoginResult, "POST", "/api/auth/login", json=body)
        # The cookie alone would not do for writes: the server wants the CSRF token too.
        self._http.headers["X-CSRF-Token"] = result.csrf_token
        return result

    async def logout(self) -> None:
        """End the session ``login`` began (a token-only client has none to end)."""
        await self._no_content("POST", "/api/auth/logout")
        self._http.headers.pop("X-CSRF-Token", None)
        self._http.cookies.clear()

    async def me(self) -> Me:
        return await self._call(Me, "GET", "/api/auth/me")

    async def create_token(self, name: str) -> NewToken:
        """A new personal API token; its secret is in this answer only."""
        body = _body(TokenBody, name=name)
        return await self._call(NewToken, "POST", "/api/tokens", json=body)

    async def tokens(self) -> list[TokenOut]:
        """Your tokens, revoked ones included (never their secrets)."""
        return (await self._call(TokenList, "GET", "/api/tokens")).tokens

    async def revoke_token(self, token_id: str) -> None:
        await self._no_content("DELETE", f"/api/tokens/{token_id}")

    async def users(self) -> list[UserOut]:
        """Every user (admins only)."""
        return (await self._call(UserList, "GET", "/api/users")).users

    async def create_user(self, username: str, password: str, *, admin: bool = False) -> UserOut:
        """A new user (admins only)."""
        body = _body(CreateUserBody, username=username, password=password, admin=admin)
        return await self._call(UserOut, "POST", "/api/users", json=body)

    async def set_user_disabled(self, user_id: str, *, disabled: bool) -> UserOut:
        """Disable a user (their sessions and tokens stop working at once) or enable them
        again (admins only)."""
        body = _body(UserPatch, disabled=disabled)
        return await self._call(UserOut, "PATCH", f"/api/users/{user_id}", json=body)

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
        headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
        timeout = httpx.Timeout(10.0, read=None)
        path = f"/api/stream/{project_id}"
        async with aconnect_sse(
            self._http, "GET", path, headers=headers, timeout=timeout
        ) as source:
            async for event in _events_of(source):
                yield event


async def _events_of(source: EventSource) -> AsyncIterator[Event]:
    """A stream's events; an answer that is not a stream is its error (errors.py)."""
    if not source.response.is_success:
        await source.response.aread()
        raise_for_error(source.response)
    async for sse in source.aiter_sse():
        event = _known_event(sse.data) if sse.data else None
        if event is not None:
            yield event


def _known_event(data: str) -> Event | None:
    """The event ``data`` holds; None for a type this client does not know yet (a newer
    server's), which is skipped so that an older client keeps following the stream. An event
    of a known type that does not fit its model is still an error."""
    # Imported here: the event models cost a CLI command that never streams ~0.1 s to load.
    from apiforge.events.types import parse_event

    try:
        return parse_event(data)
    except ValidationError as exc:
        if any(error["type"] == "union_tag_invalid" for error in exc.errors()):
            return None
        raise


def _generate_body(prompt: str, project_id: str | None) -> dict[str, str]:
    return {"prompt": prompt, **({"project_id": project_id} if project_id else {})}


def _ends(event: Event, until_version: int | None) -> bool:
    if until_version is None or event.version_number != until_version:
        return False
    from apiforge.events.types import TERMINAL_TYPES

    return event.type in TERMINAL_TYPES
