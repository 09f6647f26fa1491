from __future__ import annotations

from collections.abc import Iterator

import pytest

from .scripted_thread import ThreadedScriptedServer


@pytest.fixture
def scripted(model: ThreadedScriptedServer) -> Iterator[ThreadedScriptedServer]:
    """The shared scripted model with no replies or requests left from an earlier test."""
    model.scripted.replies.clear()
    model.scripted.requests.clear()
    yield model
    model.scripted.replies.clear()
