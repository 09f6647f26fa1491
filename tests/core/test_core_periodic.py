"""The shared background round: woken early, survives a failing round, ends on aclose."""

from __future__ import annotations

import asyncio

import pytest

from apiforge.periodic import Periodic


async def test_a_failing_round_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []

    async def round_() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("the database is away")

    periodic = Periodic("probe", 0.01, round_)
    periodic.start()
    while len(rounds) < 3:
        await asyncio.sleep(0.005)
    await periodic.aclose()
    assert "probe: this round failed" in caplog.text
    done = len(rounds)
    await asyncio.sleep(0.03)
    assert len(rounds) == done  # closed: no round after aclose


async def test_wake_runs_the_next_round_before_the_interval() -> None:
    ran = asyncio.Event()

    async def round_() -> None:
        ran.set()

    periodic = Periodic("probe", 3600, round_)
    periodic.start()
    periodic.wake()
    await asyncio.wait_for(ran.wait(), timeout=2)
    await periodic.aclose()
