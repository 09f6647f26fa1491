"""Version storage benchmark: `python bench/bench_versions.py [--versions 50] [--files 30]`.

Builds a project of N files with V versions of small edits in a temporary SQLite database (WAL,
as the server runs it), then measures version switch latency (uncached and cached), storage
against V full copies, restore and fork cost, and zip / git bundle export. Prints the machine,
the date and the results; the numbers go into BENCHMARKS.md by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from apiforge.store.db import Database
from apiforge.store.models import ApiVersion, ChatMessage, Project, VersionFile
from apiforge.versions import (
    VersionCache,
    build_history_bundle,
    build_zip,
    copy_chat_history,
    load_version_files,
    store_forked_files,
    store_restored_files,
    store_version_files,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def make_file(rng: random.Random, index: int) -> str:
    lines = [
        f'"""Module {index}: generated API code."""\n',
        "\n",
        "from fastapi import APIRouter\n",
    ]
    for function in range(rng.randint(8, 16)):
        lines += [
            "\n",
            f"@router.get('/items/{index}/{function}')\n",
            f"async def handler_{index}_{function}(item_id: int, limit: int = 10) -> dict:\n",
            f"    items = await store.fetch(item_id, limit=limit, kind='{function}')\n",
            "    if not items:\n",
            "        raise HTTPException(status_code=404, detail='not found')\n",
            f"    return {{'id': item_id, 'items': items, 'page': {function}}}\n",
        ]
    return "".join(lines)


def small_edit(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        where = rng.randrange(len(lines))
        lines[where] = f"    # tweak {rng.randint(0, 10**6)}\n" + lines[where]
    return "".join(lines)


def make_history(files: int, versions: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    current = {f"app/module_{i:02d}.py": make_file(rng, i) for i in range(files)}
    history = [dict(current)]
    for _ in range(versions - 1):
        for path in rng.sample(sorted(current), rng.randint(1, 3)):
            current[path] = small_edit(rng, current[path])
        history.append(dict(current))
    return history


async def open_sessions(path: Path) -> tuple[Database, Sessions]:
    """The server's own database setup (WAL, BEGIN IMMEDIATE writes, Alembic migrations)."""
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    return database, async_sessionmaker(database.engine, expire_on_commit=False)


def new_project(session: AsyncSession, project_id: str) -> None:
    session.add(
        Project(
            id=project_id, owner_id="bench", name=project_id, created_at=EPOCH, updated_at=EPOCH
        )
    )


def new_version(session: AsyncSession, project_id: str, number: int, origin: str) -> ApiVersion:
    version = ApiVersion(
        id=f"{project_id}-v{number}",
        project_id=project_id,
        version_number=number,
        prompt=f"prompt {number}",
        status="complete",
        created_at=EPOCH + timedelta(minutes=number),
        origin=origin,
    )
    session.add(version)
    return version


async def write_project(sessions: Sessions, history: list[dict[str, str]]) -> None:
    async with sessions() as session, session.begin():
        new_project(session, "p")
    for number, files in enumerate(history, start=1):
        async with sessions() as session, session.begin():
            version = new_version(session, "p", number, "prompt")
            for role in ("user", "assistant"):
                session.add(
                    ChatMessage(
                        project_id="p",
                        version_id=version.id,
                        role=role,
                        version_number=number,
                        content=f"{role} {number}",
                        created_at=EPOCH + timedelta(minutes=number),
                    )
                )
            await session.flush()
            previous = history[number - 2] if number > 1 else {}
            await store_version_files(
                session,
                version_id=version.id,
                project_id="p",
                version_number=number,
                files=files,
                previous=previous,
            )


async def timed(samples: int, action: Callable[[int], Awaitable[object]]) -> list[float]:
    durations = []
    for index in range(samples):
        start = time.perf_counter()
        await action(index)
        durations.append((time.perf_counter() - start) * 1000)
    return durations


def summary(name: str, durations: list[float]) -> str:
    ordered = sorted(durations)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{name:<34} n={len(ordered):<4} p50={statistics.median(ordered):7.3f} ms  "
        f"p99={p99:7.3f} ms  max={ordered[-1]:7.3f} ms"
    )


async def storage_report(sessions: Sessions, history: list[dict[str, str]]) -> str:
    async with sessions() as session:
        stored = await session.scalar(
            select(
                func.sum(
                    func.length(func.coalesce(VersionFile.full_content, ""))
                    + func.length(func.coalesce(VersionFile.content_diff, ""))
                )
            )
        )
        rows = await session.scalar(select(func.count()).select_from(VersionFile))
    full = sum(len(text) for files in history for text in files.values())
    return (
        f"storage: {stored:,} chars in {rows} rows vs {full:,} for {len(history)} full copies "
        f"= {100 * (stored or 0) / full:.1f}%"
    )


async def bench_switch(sessions: Sessions, versions: int, samples: int) -> list[str]:
    rng = random.Random(1)
    numbers = [rng.randint(1, versions) for _ in range(samples)]
    cache = VersionCache(max_bytes=64 * 1024 * 1024)

    async def load(index: int, use_cache: VersionCache | None) -> None:
        async with sessions() as session, session.begin():
            await load_version_files(
                session, project_id="p", version_number=numbers[index], cache=use_cache
            )

    uncached = await timed(samples, lambda i: load(i, None))
    for number in range(1, versions + 1):
        async with sessions() as session, session.begin():
            await load_version_files(session, project_id="p", version_number=number, cache=cache)
    cached = await timed(samples, lambda i: load(i, cache))
    load_only_ms: list[float] = []

    async def load_only(index: int) -> None:
        async with sessions() as session:
            start = time.perf_counter()
            await load_version_files(
                session, project_id="p", version_number=numbers[index], cache=cache
            )
            load_only_ms.append((time.perf_counter() - start) * 1000)

    await timed(samples, load_only)
    return [
        summary("switch, uncached (session + load)", uncached),
        summary("switch, cached (session + load)", cached),
        summary("switch, cached (load call only)", load_only_ms),
    ]


async def bench_restore(sessions: Sessions, versions: int, samples: int) -> str:
    rng = random.Random(2)
    cache = VersionCache(max_bytes=64 * 1024 * 1024)

    async def restore(index: int) -> None:
        async with sessions() as session, session.begin():
            number = versions + index + 1
            version = new_version(session, "p", number, "restore")
            await session.flush()
            await store_restored_files(
                session,
                project_id="p",
                source_number=rng.randint(1, versions),
                version_id=version.id,
                version_number=number,
                cache=cache,
            )

    return summary("restore (new version, committed)", await timed(samples, restore))


async def bench_fork(sessions: Sessions, versions: int, samples: int) -> str:
    rng = random.Random(3)
    cache = VersionCache(max_bytes=64 * 1024 * 1024)

    async def fork(index: int) -> None:
        async with sessions() as session, session.begin():
            project_id = f"fork{index}"
            new_project(session, project_id)
            await session.flush()  # no ORM relationship orders the inserts for us
            version = new_version(session, project_id, 1, "fork")
            await session.flush()
            source = rng.randint(1, versions)
            await store_forked_files(
                session,
                source_project_id="p",
                source_number=source,
                project_id=project_id,
                version_id=version.id,
                cache=cache,
            )
            await copy_chat_history(
                session,
                source_project_id="p",
                up_to_version=source,
                project_id=project_id,
                version_id=version.id,
            )

    return summary("fork (project + v1 + chat, committed)", await timed(samples, fork))


async def bench_exports(sessions: Sessions, scratch: Path, versions: int) -> list[str]:
    async def zip_one(index: int) -> None:
        async with sessions() as session:
            files = await load_version_files(session, project_id="p", version_number=versions)
        build_zip(files, root=f"p-v{versions}")

    async def bundle(index: int) -> None:
        async with sessions() as session, session.begin():
            await build_history_bundle(session, project_id="p", destination=scratch / f"{index}.b")

    return [
        summary("archive.zip of one version", await timed(10, zip_one)),
        summary("history.bundle (all versions, git)", await timed(3, bundle)),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"date:    {datetime.now(UTC).isoformat(timespec='seconds')}")
    history = make_history(args.files, args.versions)
    size = sum(len(text) for text in history[-1].values())
    print(f"project: {args.files} files, {size:,} chars, {args.versions} versions of small edits")
    with tempfile.TemporaryDirectory(prefix="bench-versions-") as scratch:
        database, sessions = await open_sessions(Path(scratch) / "bench.sqlite3")
        try:
            start = time.perf_counter()
            await write_project(sessions, history)
            per_version = (time.perf_counter() - start) * 1000 / args.versions
            print(f"store one version (committed):      mean {per_version:.2f} ms")
            print(await storage_report(sessions, history))
            for line in await bench_switch(sessions, args.versions, args.samples):
                print(line)
            print(await bench_restore(sessions, args.versions, 30))
            print(await bench_fork(sessions, args.versions, 30))
            for line in await bench_exports(sessions, Path(scratch), args.versions):
                print(line)
        finally:
            await database.close()


if __name__ == "__main__":
    asyncio.run(main())
