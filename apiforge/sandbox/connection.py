"""An HTTP client bound to one sandboxed app's Unix socket, and the boot wait.

The socket is reached through ``/proc/self/fd/<dir fd>/app.sock``: the path stays under the
108-byte limit of AF_UNIX wherever the data dir is, and it names exactly the directory opened at
start even if something renames paths later.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import httpx

from apiforge.sandbox.bwrap import SOCKET_NAME, JobPaths
from apiforge.sandbox.process import SandboxProcess
from apiforge.sandbox.workdir import lock_socket_dir

MAX_SCHEMA_BYTES = 4 * 1024 * 1024


class BootFailed(Exception):
    pass


class AppConnection:
    def __init__(self, job: JobPaths, read_timeout: float = 10.0) -> None:
        self._dir_fd = os.open(job.sock_dir, os.O_PATH | os.O_DIRECTORY)
        self.socket_path = f"/proc/self/fd/{self._dir_fd}/{SOCKET_NAME}"
        transport = httpx.AsyncHTTPTransport(uds=self.socket_path, retries=0)
        self.client = httpx.AsyncClient(
            transport=transport,
            base_url="http://app",
            timeout=httpx.Timeout(10.0, read=read_timeout),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._dir_fd >= 0:
            os.close(self._dir_fd)
            self._dir_fd = -1

    async def fetch_schema(self) -> dict[str, Any]:
        async with self.client.stream("GET", "/openapi.json") as response:
            if response.status_code != 200:
                raise BootFailed(f"/openapi.json answered {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_SCHEMA_BYTES:
                    raise BootFailed("/openapi.json is larger than 4 MB")
        try:
            document = json.loads(bytes(body))
        except ValueError as error:
            raise BootFailed(f"/openapi.json is not JSON: {error}") from error
        if not isinstance(document, dict):
            raise BootFailed("/openapi.json is not a JSON object")
        return document


async def wait_until_serving(
    process: SandboxProcess, job: JobPaths, connection: AppConnection, timeout: float
) -> dict[str, Any]:
    """Wait for the socket, take its directory back, and fetch the OpenAPI document."""
    deadline = time.monotonic() + timeout
    while not os.path.lexists(job.socket):
        if process.returncode is not None:
            raise BootFailed(f"the app exited with code {process.returncode} before serving")
        if time.monotonic() > deadline:
            raise BootFailed(f"the app did not open its socket within {timeout:.0f} s")
        await asyncio.sleep(0.01)
    if not await asyncio.to_thread(lock_socket_dir, job):
        raise BootFailed("the app's socket is not a socket")
    while True:
        try:
            return await connection.fetch_schema()
        except (httpx.TransportError, httpx.RemoteProtocolError) as error:
            if process.returncode is not None or time.monotonic() > deadline:
                raise BootFailed(f"the app does not answer: {type(error).__name__}") from error
            await asyncio.sleep(0.02)
