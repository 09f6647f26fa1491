"""Docs that must stay true: the README's settings table and the event contract."""

from __future__ import annotations

import typing
from pathlib import Path

from apiforge.events.types import Event
from apiforge.settings_doc import render_readme

ROOT = Path(__file__).resolve().parents[2]


def test_readme_settings_table_matches_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    assert render_readme(readme) == readme, "run: .venv/bin/python -m apiforge.settings_doc"


def test_every_event_type_is_documented() -> None:
    doc = (ROOT / "docs" / "events.md").read_text()
    union = typing.get_args(typing.get_args(Event)[0])
    for cls in union:
        name = cls.model_fields["type"].default
        assert f"`{name}`" in doc, name
