"""The local model for the ``llm`` tests and the real-model benchmark.

``APIFORGE_LLM_BASE_URL`` names a model server already running (e.g. ``make llm``); otherwise
the one ``scripts/llm.sh install`` put in ``~/.cache/apiforge`` is started on a free loopback
port for the duration. Nothing is downloaded here: a missing model is an error that says how to
install it, never a skip, so ``make test-llm`` cannot pass without a model.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from apiforge.ports import free_port

REPO = Path(__file__).resolve().parents[2]
LLM_HOME = Path(os.environ.get("APIFORGE_LLM_HOME", Path.home() / ".cache" / "apiforge"))
LLM_PYTHON = LLM_HOME / "venv-llm" / "bin" / "python"
# As in scripts/llm.sh: APIFORGE_LLM_MODEL=1.5b picks the larger model it installs.
MODEL_FILES = {
    "0.5b": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    "1.5b": "qwen2.5-coder-1.5b-instruct.gguf",
}
MODEL = LLM_HOME / "models" / MODEL_FILES[os.environ.get("APIFORGE_LLM_MODEL", "0.5b")]
INSTALL_HINT = "run `make llm-install` (scripts/llm.sh install) first"


class ModelUnavailable(RuntimeError):
    pass


def _wait_ready(base_url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ModelUnavailable(f"the model server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise ModelUnavailable(f"no model server answered at {base_url} within {timeout:g} s")


@contextmanager
def local_model(threads: int = 1, timeout: float = 120.0) -> Iterator[str]:
    """The ``OPENAI_BASE_URL`` of a ready local model server."""
    running = os.environ.get("APIFORGE_LLM_BASE_URL")
    if running:
        _wait_ready(running, None, timeout=10)
        yield running
        return
    if not LLM_PYTHON.exists() or not MODEL.exists():
        raise ModelUnavailable(f"the local model is not installed under {LLM_HOME}: {INSTALL_HINT}")
    port = free_port()
    log = LLM_HOME / "llm-server.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [str(LLM_PYTHON), str(REPO / "scripts" / "llm_server.py"), "--model", str(MODEL)]
            + ["--port", str(port), "--threads", str(threads)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(base_url, process, timeout)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
