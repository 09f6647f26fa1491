"""The README's configuration table, generated from Settings so the two cannot drift."""

from __future__ import annotations

from pathlib import Path

from apiforge.settings import Settings

START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def settings_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "" if default is None else str(default)
        rows.append(f"| `APIFORGE_{name.upper()}` | `{shown}` | {field.description or ''} |")
    return "\n".join(rows)


def render_readme(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{settings_table()}\n{END}{tail}"


def main() -> None:
    readme = Path("README.md")
    readme.write_text(render_readme(readme.read_text()))


if __name__ == "__main__":
    main()
