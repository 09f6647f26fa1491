#!/usr/bin/env bash
# N API processes and M workers of apiforge on this machine (docs/deploy.md).
#   scripts/cluster.sh [start] [--api N] [--workers M] [--dir DIR]   runs until Ctrl-C
#   scripts/cluster.sh stop [--dir DIR]                              stops a running one
# The shared settings come from the environment: APIFORGE_DATABASE_URL,
# APIFORGE_DBOS_DATABASE_URL, APIFORGE_BUS=redis, APIFORGE_REDIS_URL, APIFORGE_REDIS_PREFIX.
# Each process gets its own sandbox uids, back to back from APIFORGE_SANDBOX_FIRST_UID.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${APIFORGE_PYTHON:-$here/.venv/bin/python}"
[ -x "$python" ] || python=python3
exec "$python" -m apiforge.cluster "$@"
