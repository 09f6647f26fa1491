"""How `make test` splits the suite between its pytest-xdist workers (``TEST_WORKERS``).

A group runs whole on one worker: a module, so its module-scoped servers start once per run,
not once per worker; the browser package as one, since it shares one Chromium and its servers
and holds the timing-sensitive tests. xdist's own ``loadgroup`` cannot do this here: it tags
node ids through ``Item._nodeid``, which pytest 9 no longer reads.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

ONE_GROUP_PACKAGES = ("tests/browser/",)
# Sent out first, about longest first (per-group sums of a ``--durations=0`` run of the whole
# suite at 9dbf81c, 2026-12-01; test_scale_stranded.py and test_scale_queue_limits.py, ~30 s
# alone, came after), so no worker is left alone with a long group at the end.
LONGEST_FIRST = (
    "tests/browser/",
    # Its five generated projects validate in parallel: next to the browser group, not to
    # schemathesis, whose own fuzzing would share the cores with theirs.
    "tests/engine/test_engine_projects.py",
    "tests/core/test_core_openapi.py",
    "tests/core/test_core_cli_auth.py",
    "tests/scale/test_scale_failover.py",
    "tests/scale/test_scale_stranded.py",
    "tests/core/test_core_cli_server.py",
    "tests/generation/test_generation_cli_llm.py",
    "tests/versions/test_versions_cli.py",
    "tests/generation/test_generation_preview_rounds.py",
    "tests/core/test_core_lifecycle.py",
    "tests/core/test_core_stream.py",
    "tests/scale/test_scale_queue_limits.py",
    "tests/scale/test_scale_cancel.py",
    "tests/sandbox/test_sandbox_serve_env.py",
    "tests/scale/test_scale_roles.py",
    "tests/scale/test_scale_matrix.py",
    "tests/core/test_core_resume.py",
    "tests/core/test_core_ownership.py",
    "tests/scale/test_scale_pg_restart.py",
    "tests/scale/test_scale_postgres.py",
    "tests/scale/test_scale_previews.py",
    "tests/core/test_core_auth_gate.py",
    "tests/sandbox/test_sandbox_preview.py",
    "tests/generation/test_generation_fix_loop.py",
    "tests/sandbox/test_sandbox_preview_on_demand.py",
    "tests/scale/test_scale_redis_restart.py",
    "tests/core/test_core_restart.py",
    "tests/sandbox/test_sandbox_fuzz.py",
)

# Modules of real-process tests (servers killed and restarted, CLI commands embedding a server,
# sandboxed fuzzing): all marked slow here, on top of the tests marked where they stand.
# `make test` runs them; `pytest -m "not slow"` is the quick loop while editing.
SLOW_MODULES = (
    "tests/core/test_core_cli_server.py",
    "tests/core/test_core_lifecycle.py",
    "tests/core/test_core_restart.py",
    "tests/core/test_core_resume.py",
    "tests/core/test_core_openapi.py::test_schemathesis_finds_nothing",
    "tests/generation/test_generation_cli_llm.py",
    "tests/generation/test_generation_resume.py",
    "tests/sandbox/test_sandbox_fuzz.py",
    "tests/sandbox/test_sandbox_preview_on_demand.py",
)


def group_of(nodeid: str) -> str:
    """The package for ONE_GROUP_PACKAGES, else the module."""
    module = nodeid.split("::", 1)[0]
    return next((package for package in ONE_GROUP_PACKAGES if module.startswith(package)), module)


def longest_first_rank(item: pytest.Item) -> int:
    module = item.nodeid.split("::", 1)[0]
    ranks = [rank for rank, prefix in enumerate(LONGEST_FIRST) if module.startswith(prefix)]
    return ranks[0] if ranks else len(LONGEST_FIRST)


def is_slow(item: pytest.Item) -> bool:
    return item.nodeid.startswith(SLOW_MODULES)


class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no types
    """xdist's per-scope scheduling with ``group_of`` as the scope."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)
