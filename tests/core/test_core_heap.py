"""A started app has moved its start-up heap out of the collector's full collections
(``server/heap.py``), so a full collection walks only what the process made since."""

from __future__ import annotations

import gc
from pathlib import Path

from apiforge.settings import Settings
from tests.in_process_app import in_process_app


async def test_a_started_app_has_frozen_its_start_up_objects(tmp_path: Path) -> None:
    gc.unfreeze()  # what an earlier app of this test process froze is not this app's doing
    try:
        async with in_process_app(Settings(data_dir=tmp_path / "data", validator="none")) as (
            app,
            _,
        ):
            services = app.state.services
            frozen = gc.get_freeze_count()
            # The services were made during start-up: frozen, so not in any generation now.
            in_generations = any(services is o for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert frozen > 10_000, frozen
    assert not in_generations
