"""Browser sessions across two API processes of one deployment (Postgres + Redis), without
sticky routing: a session signed in on A writes on B with its CSRF token (one key per
deployment, in the app database), and the login throttle and the write limit count the
requests sent to A and B together (in Redis), at the same count as one process. A token
revoked on B ends its streams open on A."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
import redis

from tests.core import test_core_auth_streams as streams
from tests.core.accounts_server import AccountsServer, password_of
from tests.scale.conftest import REDIS_URL, Deployment

pytestmark = pytest.mark.scale

LOGINS, WRITES = 3, 5
# How often each process re-reads its open streams' credentials (short: the test waits it).
CHECK_S = 1.0


def error_code(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["code"])


def new_token(server: AccountsServer, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/tokens", json={"name": "t"}, headers=headers, timeout=15)


def test_a_session_signed_in_on_one_process_works_on_the_other_and_limits_are_shared(
    deployment: Deployment, tmp_path: Path
) -> None:
    env = {
        **deployment.env(bus="redis"),
        "APIFORGE_LOGIN_ATTEMPTS_PER_MINUTE": str(LOGINS),
        "APIFORGE_LIMIT_WRITES_PER_MINUTE": str(WRITES),
        "APIFORGE_STREAM_AUTH_CHECK_S": str(CHECK_S),
    }
    a, b = AccountsServer(tmp_path / "a", env), AccountsServer(tmp_path / "b", env)
    a.spawn()
    b.spawn()
    try:
        a.wait_until_serving(60)
        b.wait_until_serving(60)
        _sessions_and_limits_span_processes(a, b)
        asyncio.run(_revoking_on_one_process_ends_streams_on_the_other(a, b))
    finally:
        a.kill()
        b.kill()
    # The limits' keys live under the deployment's prefix (removed by the fixture after).
    keys = redis.Redis.from_url(REDIS_URL).keys(f"{deployment.redis_prefix}limits*")
    assert keys, "no limit was counted in Redis"


def _sessions_and_limits_span_processes(a: AccountsServer, b: AccountsServer) -> None:
    carla = a.headers_of("carla")  # signed in on A: 1 write of root's, none of carla's
    by_process = [b, a]
    answers = [new_token(by_process[i % 2], carla) for i in range(WRITES + 1)]
    # The first, on B, is accepted: B checks the token with the deployment's key.
    assert [x.status_code for x in answers] == [201] * WRITES + [429], [x.text for x in answers]
    assert error_code(answers[-1]) == "too_many_writes"
    b.create_user("dora")
    failures = [
        (a if i % 2 else b).login("dora", "wrong password").status_code for i in range(LOGINS)
    ]
    assert failures == [401] * LOGINS
    # The next attempt, on either process, meets the limit: even the right password waits.
    for server in (a, b):
        throttled = server.login("dora", password_of("dora"))
        assert throttled.status_code == 429, throttled.text
        assert error_code(throttled) == "too_many_logins"


async def _revoking_on_one_process_ends_streams_on_the_other(
    a: AccountsServer, b: AccountsServer
) -> None:
    erin = a.headers_of("erin")
    made = new_token(a, erin)
    assert made.status_code == 201, made.text
    bearer = streams.bearer(str(made.json()["token"]))
    project_id = await streams.project(a, bearer)
    on_a = await streams.open_both(a, project_id, bearer)
    since = time.monotonic()
    revoked = httpx.delete(f"{b.url}/api/tokens/{made.json()['id']}", headers=erin, timeout=15)
    assert revoked.status_code == 204, revoked.text
    # B is told; A finds out at its next check.
    await streams.assert_all_end(on_a, since, CHECK_S + 2.0)
    await streams.assert_refused(a, project_id, bearer)
