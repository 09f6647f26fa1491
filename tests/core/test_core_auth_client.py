"""The Python client's account methods against a real password-mode server: sign-in keeps the
session (cookie and CSRF token) for later writes, tokens are made, listed and revoked, and only
admins manage users. Answers are the documented models; refusals are errors.py's errors."""

from __future__ import annotations

import httpx
import pytest

from apiforge.api_models_auth import LoginResult, Me, NewToken, TokenOut, UserOut
from apiforge.client import ApiforgeClient
from apiforge.errors import (
    AuthenticationRequired,
    ConflictError,
    Forbidden,
    InputError,
    NotFoundError,
)
from tests.core.accounts_server import ROOT, ROOT_PASSWORD, AccountsServer, password_of

PROMPT = "a todo API with tasks (title, done)"


async def test_a_signed_in_client_writes_with_its_session(user_server: AccountsServer) -> None:
    user_server.create_user("rosa")
    async with ApiforgeClient(user_server.url) as rosa:
        with pytest.raises(AuthenticationRequired) as wrong:
            await rosa.login("rosa", "not her password")
        assert wrong.value.code == "bad_credentials"
        signed_in = await rosa.login("rosa", password_of("rosa"))
        assert isinstance(signed_in, LoginResult) and signed_in.user.username == "rosa"
        me = await rosa.me()
        assert isinstance(me, Me) and (me.username, me.via) == ("rosa", "session")
        # A write: refused without the CSRF token, so this shows the client sends it.
        made = await rosa.create_project(PROMPT)
        assert made.project.owner_id == signed_in.user.id
        await rosa.logout()
        with pytest.raises(AuthenticationRequired):
            await rosa.me()


async def test_tokens_made_listed_and_revoked(user_server: AccountsServer) -> None:
    user_server.create_user("sven")
    async with ApiforgeClient(user_server.url) as sven:
        await sven.login("sven", password_of("sven"))
        made = await sven.create_token("laptop")
        assert isinstance(made, NewToken) and made.token.startswith("apf_")
        with pytest.raises(InputError):
            await sven.create_token("")
        async with ApiforgeClient(user_server.url, token=made.token) as by_token:
            assert (await by_token.me()).via == "token"
            listed = await by_token.tokens()
            assert [(t.id, t.name, t.revoked) for t in listed] == [(made.id, "laptop", False)]
            assert all(isinstance(t, TokenOut) for t in listed)
            await sven.revoke_token(made.id)
            # Revoked: the very next request with it is refused.
            with pytest.raises(AuthenticationRequired) as refused:
                await by_token.projects()
            assert refused.value.code == "unauthenticated"
        assert [t.revoked for t in await sven.tokens()] == [True]


async def test_only_admins_manage_users(user_server: AccountsServer) -> None:
    user_server.create_user("tove")
    async with ApiforgeClient(user_server.url) as root, ApiforgeClient(user_server.url) as tove:
        await root.login(ROOT, ROOT_PASSWORD)
        made = await root.create_user("ulla", "ulla-password-1", admin=True)
        assert isinstance(made, UserOut) and (made.username, made.is_admin) == ("ulla", True)
        names = {user.username for user in await root.users()}
        assert {ROOT, "tove", "ulla"} <= names
        with pytest.raises(InputError):
            await root.create_user("ulla", "short")
        await tove.login("tove", password_of("tove"))
        with pytest.raises(Forbidden) as forbidden:
            await tove.users()
        assert forbidden.value.code == "admin_only"
        with pytest.raises(Forbidden):
            await tove.create_user("vera", "vera-password-1")


def test_behind_a_tls_proxy_the_cookie_is_secure(user_server: AccountsServer) -> None:
    # The proxy (loopback, trusted by default) says the user came over https: the runner keeps
    # uvicorn's proxy headers handling while header mode checks the peer itself.
    user_server.create_user("wim")
    body = {"username": "wim", "password": password_of("wim")}
    signed_in = httpx.post(
        f"{user_server.url}/api/auth/login",
        json=body,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"},
        timeout=15,
    )
    assert signed_in.status_code == 200, signed_in.text
    assert "secure" in signed_in.headers["set-cookie"].lower()


async def test_a_disabled_user_is_shut_out_at_once(user_server: AccountsServer) -> None:
    user_server.create_user("xavi")
    async with (
        ApiforgeClient(user_server.url) as root,
        ApiforgeClient(user_server.url) as xavi,
    ):
        me = (await root.login(ROOT, ROOT_PASSWORD)).user
        signed_in = (await xavi.login("xavi", password_of("xavi"))).user
        token = (await xavi.create_token("script")).token
        async with ApiforgeClient(user_server.url, token=token) as script:
            assert (await script.me()).username == "xavi"
            off = await root.set_user_disabled(signed_in.id, disabled=True)
            assert (off.username, off.disabled) == ("xavi", True)
            # The session and the token, both already in use, are refused on the next request.
            for client in (xavi, script):
                with pytest.raises(AuthenticationRequired) as refused:
                    await client.projects()
                assert refused.value.code == "unauthenticated"
            with pytest.raises(AuthenticationRequired) as disabled:
                await xavi.login("xavi", password_of("xavi"))
            assert disabled.value.code == "account_disabled"
            assert [u.disabled for u in await root.users() if u.username == "xavi"] == [True]
            await root.set_user_disabled(signed_in.id, disabled=False)
            # Enabled again: the token works again; the ended session does not come back.
            assert (await script.me()).username == "xavi"
        with pytest.raises(ConflictError) as own:
            await root.set_user_disabled(me.id, disabled=True)
        assert own.value.code == "cannot_disable_self"
        with pytest.raises(NotFoundError):
            await root.set_user_disabled("0" * 32, disabled=True)
        await xavi.login("xavi", password_of("xavi"))
        with pytest.raises(Forbidden):
            await xavi.set_user_disabled(me.id, disabled=True)
    assert user_server.login(ROOT, ROOT_PASSWORD).status_code == 200
