"""scripts/cluster.sh (apiforge/cluster.py) gives each process of the host its own sandbox uid
range: a slot's clean-up ends every process of its uid, so two workers sharing one would kill
each other's sandboxes. In-process: the environments the members would be started with."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiforge.cluster import FIRST_UID, Cluster

pytestmark = pytest.mark.scale


def uid_ranges(cluster: Cluster) -> dict[str, range]:
    """Each member's uids, as its settings make it use them (validation slots, then previews)."""
    ranges = {}
    for member in cluster.members:
        env = cluster.env_of(member)
        width = int(env.get("APIFORGE_SANDBOX_SLOTS", 2)) + int(env.get("APIFORGE_PREVIEW_MAX", 4))
        first = int(env[FIRST_UID])
        ranges[member.name] = range(first, first + width)
    return ranges


def assert_disjoint(ranges: dict[str, range]) -> None:
    owners: dict[int, str] = {}
    for name, uids in ranges.items():
        for uid in uids:
            assert uid not in owners, f"{name} and {owners[uid]} share uid {uid}"
            owners[uid] = name


def test_each_process_gets_its_own_uids_from_the_default(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, apis=2, workers=2)
    cluster.env.pop(FIRST_UID, None)  # the caller's environment names none
    ranges = uid_ranges(cluster)
    assert ranges["api-1"] == range(62000, 62006)  # the default, 2 slots + 4 previews wide
    assert_disjoint(ranges)


def test_the_ranges_start_at_the_callers_first_uid_and_follow_each_width(tmp_path: Path) -> None:
    env = {FIRST_UID: "70000", "APIFORGE_SANDBOX_SLOTS": "3"}
    cluster = Cluster(tmp_path, apis=1, workers=2, env=env)
    cluster.members[1].env["APIFORGE_PREVIEW_MAX"] = "10"  # worker-1 previews more
    ranges = uid_ranges(cluster)
    assert ranges["api-1"] == range(70000, 70007)
    assert ranges["worker-1"] == range(70007, 70020)
    assert_disjoint(ranges)


def test_a_process_that_names_its_own_first_uid_keeps_it(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, apis=1, workers=2, env={FIRST_UID: "70000"})
    cluster.members[1].env[FIRST_UID] = "75000"
    envs = {member.name: cluster.env_of(member) for member in cluster.members}
    assert envs["worker-1"][FIRST_UID] == "75000"
    assert envs["api-1"][FIRST_UID] == "70000"
    assert envs["worker-2"][FIRST_UID] == "70006"  # worker-1's own left no hole
