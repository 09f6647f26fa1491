"""The scripted OpenAI-protocol server on its own event loop in a thread.

The apiforge server under test is a separate process and the tests' own event loops come and
go with each test, so the scripted model needs a loop of its own that outlives them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from tests.providers.scripted_server import ScriptedServer

T = TypeVar("T")


class ThreadedScriptedServer:
    def __init__(self) -> None:
        self.scripted = ScriptedServer()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def start(self) -> None:
        self._thread.start()
        self._call(self.scripted.start())

    def stop(self) -> None:
        self._call(self.scripted.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def url(self) -> str:
        return self.scripted.url

    def openai_env(self) -> dict[str, str]:
        """A server's settings for the OpenAI provider talking to this model, no retries."""
        return {
            "APIFORGE_PROVIDER": "openai",
            "APIFORGE_MODEL": "m",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": f"{self.url}/v1",
            "APIFORGE_PROVIDER_MAX_RETRIES": "0",
        }
