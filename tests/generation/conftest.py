from __future__ import annotations

from collections.abc import Iterator

import pytest

from .scripted_thread import ThreadedScriptedServer


@pytest.fixture(scope="module")
def model() -> Iterator[ThreadedScriptedServer]:
    """A scripted model speaking the OpenAI and Anthropic protocols, on its own thread."""
    server = ThreadedScriptedServer()
    server.start()
    yield server
    server.stop()
