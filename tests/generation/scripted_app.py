"""A real apiforge server talking to the scripted model, with the scripted validator.

The tests of the LLM path differ only in which stage the validator fails and how many fix rounds
the server allows; everything else about their server is this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.providers.protocols import Dialect
from tests.providers.scripted_server import Reply
from tests.server_process import ServerProcess

from .scripted_thread import ThreadedScriptedServer

OPENAI = Dialect("openai")


def model_reply(text: str, *, chunk: int = 30, usage: tuple[int, int] = (50, 20)) -> Reply:
    """``text`` streamed in small chunks, as a model would."""
    return OPENAI.reply([text[i : i + chunk] for i in range(0, len(text), chunk)], usage=usage)


@contextmanager
def scripted_app_server(
    data_dir: Path, model: ThreadedScriptedServer, *, fail_stage: str, fix_rounds: int
) -> Iterator[ServerProcess]:
    process = ServerProcess(
        data_dir,
        env={
            **model.openai_env(),
            "APIFORGE_VALIDATOR": "tests.generation.scripted_validator:ScriptedValidator",
            "APIFORGE_TEST_FAIL_STAGE": fail_stage,
            "APIFORGE_TEST_STAGE_DELAY_MS": "0",
            "APIFORGE_FIX_ROUNDS": str(fix_rounds),
        },
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()
