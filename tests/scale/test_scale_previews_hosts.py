"""A preview on another host, reached over HTTP: two servers on this machine that play two
hosts (their own ``APIFORGE_PREVIEW_HOST`` and socket dir, so neither can reach the other's
sockets). A, which runs the preview, advertises ``APIFORGE_INTERNAL_URL``; a request for the
preview through B is forwarded to A, body and answer streamed, and reaches the same app. A
forwarded request is never forwarded again, and A gone answers 503 ``preview_host_unreachable``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from apiforge.sandbox.host_forward import HOP_HEADER
from tests.sandbox.conftest import needs_bwrap
from tests.scale.conftest import Deployment
from tests.scale.test_scale_previews import (
    PROMPT,
    _post,
    _titles,
    _wait_preview,
    preview_env,
    start_together,
)
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.scale, pytest.mark.sandbox, pytest.mark.slow, needs_bwrap]

FIRST_UID = {"a": 64820, "b": 64830}


def _two_hosts(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess], tmp_path: Path
) -> tuple[ServerProcess, ServerProcess]:
    env = preview_env(deployment)
    made = {}
    for name in ("a", "b"):
        made[name] = servers(
            {
                **env,
                "APIFORGE_SANDBOX_FIRST_UID": str(FIRST_UID[name]),
                "APIFORGE_PREVIEW_HOST": f"host-{name}",
                "APIFORGE_PREVIEW_SOCKET_DIR": str(tmp_path / f"previews-{name}"),
            }
        )
    a, b = made["a"], made["b"]
    a.env["APIFORGE_INTERNAL_URL"] = a.url  # only A says where other hosts reach it
    start_together(a, b)
    return a, b


async def test_a_preview_on_another_host_is_forwarded_to_it(
    deployment: Deployment, servers: Callable[[dict[str, str]], ServerProcess], tmp_path: Path
) -> None:
    a, b = _two_hosts(deployment, servers, tmp_path)
    created = httpx.post(f"{a.url}/api/projects", json={"prompt": PROMPT}, timeout=10)
    assert created.status_code == 201, created.text
    pid = created.json()["project"]["id"]
    _wait_preview(a.url, pid)  # A generated it and runs its preview, on host-a

    posted = _post(b, pid, "via b")
    assert posted.status_code == 201, posted.text
    # The preview proxy's fence came from A, through B; the answer is the app's own.
    assert "sandbox" in posted.headers["content-security-policy"]
    assert posted.json()["title"] == "via b"
    assert _post(a, pid, "via a").status_code == 201
    assert _titles(a, pid) == _titles(b, pid) == ["via a", "via b"]
    assert not list((tmp_path / "previews-b").glob("*/sock"))  # nothing runs on host-b

    # A request already forwarded once is not forwarded again.
    looped = httpx.get(f"{b.url}/preview/{pid}/posts", headers={HOP_HEADER: "host-x"}, timeout=10)
    assert looped.status_code == 503, looped.text
    assert looped.json()["error"]["code"] == "preview_on_other_host"
    assert "forwarded here from host host-x" in looped.json()["error"]["message"]

    a.kill()  # within the failover time its row still stands: B cannot reach it
    gone = httpx.get(f"{b.url}/preview/{pid}/posts", timeout=30)
    assert gone.status_code == 503, gone.text
    error = gone.json()["error"]
    assert (error["code"], error["retryable"]) == ("preview_host_unreachable", True)
    assert "host-a" in error["message"]
