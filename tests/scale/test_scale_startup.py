"""A start-up that fails late (DBOS's system database unreachable, found only at launch, after
the app database, the event log and DBOS's own thread are open) closes all of them again.

The lifespan runs in a process of its own: DBOS's registry is per process, and the app's
workflow instance, once registered there, cannot be registered again by another in-process app
(tests/core/test_core_queries.py) in the same pytest worker."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.scale.conftest import PG_ADMIN

pytestmark = pytest.mark.scale

# Runs the lifespan, then reports what is left and waits (its connections still countable)
# until its stdin closes.
PROBE = """
import asyncio, json, sys, threading
from pathlib import Path
from apiforge.server.app import create_app
from apiforge.settings import Settings

def threads():
    # The event loop's default executor threads are this process's, kept for reuse.
    return sorted(t.name for t in threading.enumerate() if not t.name.startswith("asyncio_"))

async def main():
    app = create_app(Settings(
        data_dir=Path(sys.argv[1]), database_url=sys.argv[2],
        dbos_database_url="postgresql://postgres@127.0.0.1:1/unreachable",
    ))
    before = threads()
    try:
        async with app.router.lifespan_context(app):
            error = None
    except Exception as failure:
        error = str(failure)
    writers = [t.get_name() for t in asyncio.all_tasks() if t.get_name() == "event-log-writer"]
    print(json.dumps({"error": error, "before": before, "after": threads(), "tasks": writers}))
    sys.stdout.flush()
    sys.stdin.read()

asyncio.run(main())
"""


def connections_to(database: str) -> int:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    assert row is not None
    return int(str(row[0]))


def test_a_late_start_up_failure_leaves_nothing_open(
    fresh_databases: Callable[[], tuple[str, str]], tmp_path: Path
) -> None:
    app_url, _ = fresh_databases()
    with subprocess.Popen(
        [sys.executable, "-c", PROBE, str(tmp_path), app_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as probe:
        assert probe.stdout is not None and probe.stdin is not None
        try:
            report = json.loads(probe.stdout.readline())
            left_open = connections_to(app_url.rsplit("/", 1)[1])
        finally:
            probe.stdin.close()  # the probe exits
        probe.wait(timeout=30)
    assert report["error"] is not None and "Connection refused" in report["error"]
    assert left_open == 0, "the app database's pool was left open"
    assert report["after"] == report["before"], "a thread (DBOS's event loop) was left running"
    assert report["tasks"] == [], "the event log's writer task was left running"
