"""A PostgreSQL server of the test's own, to stop and start: the machine's shared one (5432)
serves everybody's tests and is never restarted."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg

from apiforge.ports import free_port

BIN = Path(os.environ.get("APIFORGE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
# initdb and postgres refuse to run as root; this account owns the cluster's directory.
PG_USER = "nobody"


def _as_owner(*command: str) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *command] if os.geteuid() == 0 else list(command)


class PrivatePostgres:
    """initdb once (~3 s), then start (~0.2 s) and stop (fast shutdown) as often as needed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, PG_USER)
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "postgres.log")
        self._run(
            str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self) -> None:
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str, driver: str = "postgresql://") -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"{driver}postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        subprocess.run(_as_owner(*command), check=True, capture_output=True, timeout=60)
