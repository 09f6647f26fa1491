"""What each process registers as the generation queue's limits, and what a worker says when
its registration changes them (tests/scale/test_scale_queue_limits.py: that they hold)."""

from __future__ import annotations

import logging
from pathlib import Path

from apiforge.generation.queue_limits import QueueLimits, worker_limits_report
from apiforge.settings import Settings


def limits_of(tmp_path: Path, worker: int, queue: int) -> QueueLimits:
    settings = Settings(data_dir=tmp_path, worker_concurrency=worker, queue_concurrency=queue)
    return QueueLimits.of_settings(settings)


def test_the_queue_limit_caps_the_per_worker_one(tmp_path: Path) -> None:
    assert limits_of(tmp_path, 2, 0) == QueueLimits(2, None)
    assert limits_of(tmp_path, 2, 1) == QueueLimits(1, 1)
    assert limits_of(tmp_path, 2, 5) == QueueLimits(2, 5)
    assert str(QueueLimits(2, None)) == "2 per worker, no limit in all"


def test_a_worker_says_when_it_changes_every_workers_limits() -> None:
    ours, theirs = QueueLimits(4, None), QueueLimits(2, None)
    assert worker_limits_report(None, ours, ours) is None
    assert worker_limits_report(ours, ours, ours) is None
    changed = worker_limits_report(theirs, ours, ours)
    assert changed is not None and changed[0] == logging.INFO
    assert "are now 4 per worker, no limit in all, for every worker (they were 2 per" in changed[1]
    kept = worker_limits_report(None, ours, theirs)
    assert kept is not None and kept[0] == logging.WARNING
    assert "limits are 2 per worker, no limit in all, not this worker's settings (4 per" in kept[1]
