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


@pytest.fixture
def scripted(model: ThreadedScriptedServer) -> Iterator[ThreadedScriptedServer]:
    """The shared scripted model with no replies or requests left from an earlier test."""
    model.scripted.replies.clear()
    model.scripted.requests.clear()
    yield model
    model.scripted.replies.clear()
