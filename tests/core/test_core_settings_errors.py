"""A malformed APIFORGE_ variable stops a command with one line naming the variable and what
is wrong with it, exit code 2, instead of pydantic's traceback naming only the field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = [
    ({"APIFORGE_PRICES": "nope"}, ["serve"], "APIFORGE_PRICES: not valid JSON"),
    (
        {"APIFORGE_PRICES": '{"gpt-4o-mini": {"input": 0.15}}'},
        ["worker"],
        "APIFORGE_PRICES (gpt-4o-mini.output): Field required",
    ),
    # uvicorn took 999999 and bound 999999 mod 65536 = 16959 without a word.
    ({}, ["serve", "--port", "999999"], "APIFORGE_PORT: Input should be less than or equal to"),
]


@pytest.mark.parametrize(("env", "args", "said"), CASES)
def test_a_malformed_setting_is_named_in_one_line(
    env: dict[str, str], args: list[str], said: str, tmp_path: Path
) -> None:
    environment = {**os.environ, "APIFORGE_DATA_DIR": str(tmp_path), "COLUMNS": "200", **env}
    ran = subprocess.run(
        [sys.executable, "-c", "from apiforge.cli import main; main()", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.startswith(f"invalid_settings: {said}"), ran.stderr
    assert "Traceback" not in ran.stderr
    assert len(ran.stderr.splitlines()) == 1, ran.stderr


def test_create_app_names_a_malformed_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """`uvicorn apiforge.server.app:create_app --factory` reads the environment itself."""
    from apiforge.errors import InvalidSettings
    from apiforge.server.app import create_app

    monkeypatch.setenv("APIFORGE_PRICES", "nope")
    with pytest.raises(InvalidSettings, match="^APIFORGE_PRICES: not valid JSON"):
        create_app()
