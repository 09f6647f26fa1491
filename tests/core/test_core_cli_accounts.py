"""The CLI's embedded server acts as the local owner; with accounts it refuses to embed."""

from __future__ import annotations

from pathlib import Path

from tests.cli_runner import run_cli


def test_embedding_is_refused_when_the_data_dir_has_accounts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run_cli("projects", data_dir=data_dir, env={"APIFORGE_AUTH": "password"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "server_required" in result.stdout + result.stderr
    # Nothing was started on the data dir: no database was created.
    assert not (data_dir / "apiforge.sqlite3").exists()
