"""Password mode on a real server: sign-in, sessions, API tokens, CSRF, admin-only users, the
first admin and the login throttle. Each refusal is in the error shape and writes nothing."""

from __future__ import annotations

import hashlib
import sqlite3

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.core.accounts_server import ROOT, AccountsServer, password_of

PROMPT = "a todo API with tasks (title, done)"


def _rows(server: AccountsServer, query: str, *args: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(server.data_dir / "apiforge.sqlite3") as db:
        return list(db.execute(query, args))


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_login_sets_a_strict_cookie_and_logout_ends_it(user_server: AccountsServer) -> None:
    user_server.create_user("lena")
    _error(user_server.login("lena", "wrong password"), 401, "bad_credentials")
    _error(user_server.login("nobody", "wrong password"), 401, "bad_credentials")
    signed_in = user_server.login("lena", password_of("lena"))
    assert signed_in.status_code == 200, signed_in.text
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain http here; https requests get Secure
    assert signed_in.json()["user"]["username"] == "lena"
    csrf = signed_in.json()["csrf_token"]
    async with httpx.AsyncClient(base_url=user_server.url, cookies=signed_in.cookies) as lena:
        me = (await lena.get("/api/auth/me")).json()
        assert (me["username"], me["via"], me["auth"]) == ("lena", "session", "password")
        assert me["csrf_token"] == csrf
        _error(await lena.post("/api/auth/logout"), 403, "csrf_refused")
        assert (
            await lena.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
        ).status_code == 204
        # The session is gone from the server, not only from the browser.
        _error(await lena.get("/api/auth/me"), 401, "unauthenticated")
    assert _rows(user_server, "SELECT count(*) FROM sessions WHERE user_id = ?", me["id"]) == [(0,)]


def test_passwords_are_stored_as_argon2id(user_server: AccountsServer) -> None:
    user_server.create_user("mona")
    [(stored,)] = _rows(user_server, "SELECT password_hash FROM users WHERE username = 'mona'")
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert password_of("mona") not in stored


async def test_tokens_are_shown_once_and_revocable(user_server: AccountsServer) -> None:
    token = user_server.token_of("nina")
    bearer = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=user_server.url, headers=bearer) as nina:
        me = (await nina.get("/api/auth/me")).json()
        assert (me["username"], me["via"], me["csrf_token"]) == ("nina", "token", None)
        # A token's writes need no CSRF header: browsers never send it by themselves.
        assert (await nina.post("/api/projects", json={"prompt": PROMPT})).status_code == 201
        listed = (await nina.get("/api/tokens")).json()["tokens"]
        assert len(listed) == 1 and "token" not in listed[0] and listed[0]["last_used_at"]
        assert token not in (await nina.get("/api/tokens")).text
        # Only its sha256 is stored.
        hashes = _rows(
            user_server, "SELECT token_hash FROM api_tokens WHERE id = ?", listed[0]["id"]
        )
        assert hashes == [(hashlib.sha256(token.encode()).hexdigest(),)]
        # Another user cannot revoke it: their answer is as for a token that does not exist.
        otto = user_server.headers_of("otto")
        async with httpx.AsyncClient(base_url=user_server.url, headers=otto) as other:
            _error(await other.delete(f"/api/tokens/{listed[0]['id']}"), 404, "not_found")
        assert (await nina.get("/api/auth/me")).status_code == 200
        assert (await nina.delete(f"/api/tokens/{listed[0]['id']}")).status_code == 204
        _error(await nina.get("/api/auth/me"), 401, "unauthenticated")
    _error(httpx.get(f"{user_server.url}/api/projects", headers=bearer), 401, "unauthenticated")


async def test_cookie_writes_without_the_csrf_token_are_refused(
    user_server: AccountsServer,
) -> None:
    headers = dict(user_server.headers_of("paul"))
    csrf = headers.pop("X-CSRF-Token")
    async with httpx.AsyncClient(base_url=user_server.url, headers=headers) as paul:
        _error(await paul.post("/api/projects", json={"prompt": PROMPT}), 403, "csrf_refused")
        bad = {"X-CSRF-Token": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")}
        refused = await paul.post("/api/projects", json={"prompt": PROMPT}, headers=bad)
        _error(refused, 403, "csrf_refused")
        # Another session's token does not fit this one.
        other = {"X-CSRF-Token": user_server.headers_of("quinn")["X-CSRF-Token"]}
        _error(
            await paul.post("/api/projects", json={"prompt": PROMPT}, headers=other),
            403,
            "csrf_refused",
        )
        assert (await paul.get("/api/projects")).json()["projects"] == []
        made = await paul.post(
            "/api/projects", json={"prompt": PROMPT}, headers={"X-CSRF-Token": csrf}
        )
        assert made.status_code == 201, made.text


async def test_only_admins_manage_users(user_server: AccountsServer) -> None:
    body = {"username": "rita", "password": "long-enough-1"}
    async with httpx.AsyncClient(
        base_url=user_server.url, headers=user_server.headers_of("sam")
    ) as sam:
        _error(await sam.get("/api/users"), 403, "admin_only")
        _error(await sam.post("/api/users", json=body), 403, "admin_only")
    assert _rows(user_server, "SELECT count(*) FROM users WHERE username = 'rita'") == [(0,)]
    admin = user_server.headers_of("admin-tess")
    async with httpx.AsyncClient(base_url=user_server.url, headers=admin) as tess:
        assert (await tess.post("/api/users", json=body)).status_code == 201
        _error(await tess.post("/api/users", json=body), 409, "user_exists")
        names = {u["username"] for u in (await tess.get("/api/users")).json()["users"]}
        assert {ROOT, "sam", "admin-tess", "rita"} <= names
    assert user_server.login("rita", "long-enough-1").status_code == 200


async def test_failed_logins_are_throttled_per_user(user_server: AccountsServer) -> None:
    user_server.create_user("uma")
    for _ in range(5):  # APIFORGE_LOGIN_ATTEMPTS_PER_MINUTE's default
        _error(user_server.login("uma", "wrong password"), 401, "bad_credentials")
    throttled = user_server.login("uma", password_of("uma"))
    _error(throttled, 429, "too_many_logins")
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert throttled.json()["error"]["retryable"] is True
    # Another user signing in from the same address is not slowed down.
    user_server.create_user("vera")
    assert user_server.login("vera", password_of("vera")).status_code == 200


async def test_a_cross_site_websocket_with_the_cookie_is_refused(
    user_server: AccountsServer,
) -> None:
    async with httpx.AsyncClient(
        base_url=user_server.url, headers=user_server.headers_of("walt")
    ) as walt:
        project_id = (await walt.post("/api/projects", json={"prompt": PROMPT})).json()["project"][
            "id"
        ]
    url = user_server.url.replace("http://", "ws://") + f"/api/ws/{project_id}"
    evil = {**user_server.headers_of("walt"), "Origin": "https://evil.example"}
    with pytest.raises(InvalidStatus) as denied:
        async with connect(url, additional_headers=evil):
            pass
    assert denied.value.response.status_code == 403
    own = {**user_server.headers_of("walt"), "Origin": user_server.url}
    # Unbounded queue: the replay left unread would pause reading, so the close reply went
    # unseen and leaving the block waited out websockets' 10 s close timeout.
    async with connect(url, additional_headers=own, max_queue=None) as ws:
        assert (await ws.recv()) is not None


def test_an_expired_session_signs_nobody_in_and_is_dropped(user_server: AccountsServer) -> None:
    headers = user_server.headers_of("yara")
    me = httpx.get(f"{user_server.url}/api/auth/me", headers=headers)
    assert me.status_code == 200
    with sqlite3.connect(user_server.data_dir / "apiforge.sqlite3") as db:
        db.execute(
            "UPDATE sessions SET expires_at = '2000-01-01 00:00:00' WHERE user_id = ?",
            (me.json()["id"],),
        )
    _error(httpx.get(f"{user_server.url}/api/auth/me", headers=headers), 401, "unauthenticated")
    user_server.create_user("zeno")
    assert user_server.login("zeno", password_of("zeno")).status_code == 200
    assert _rows(
        user_server, "SELECT count(*) FROM sessions WHERE user_id = ?", me.json()["id"]
    ) == [(0,)]
