"""What ``apiforge projects`` and ``apiforge versions`` print: tables for people, JSON for tools.

Ids are what people copy from here, so the id column is never shortened: it does not wrap, and
on a terminal too narrow for it the other columns give way first.
"""

from __future__ import annotations

import json
import math

from rich.table import Table

from apiforge.api_models import ProjectSummary, Version
from apiforge.api_models_auth import TokenOut

_GAP = 2  # spaces after each column
_MIN_NAME = 8


def _minute(iso: str | None) -> str:
    """``2024-05-01T12:34:56.789+00:00`` → ``2024-05-01 12:34`` (times are stored in UTC)."""
    return iso[:16].replace("T", " ") if iso else "-"


def _latest(project: ProjectSummary) -> str:
    latest = project.latest_version
    return f"v{latest.number} {latest.status.value}" if latest else "-"


def projects_table(projects: list[ProjectSummary], width: int) -> Table:
    """One line per project, ids whole. The name, last, gets what ``width`` leaves and is cut
    with "…"; on a very narrow terminal the update time is left out before anything else."""
    columns: dict[str, list[str]] = {
        "id": [p.id for p in projects],
        "latest": [_latest(p) for p in projects],
        "updated (UTC)": [_minute(p.updated_at) for p in projects],
    }
    widths = {h: max(len(h), *map(len, cells)) if cells else len(h) for h, cells in columns.items()}
    if sum(widths.values()) + _GAP * len(widths) + _MIN_NAME > width:
        del columns["updated (UTC)"], widths["updated (UTC)"]
    table = Table(box=None, padding=(0, _GAP, 0, 0), pad_edge=False, header_style="bold")
    for header, column_width in widths.items():
        table.add_column(header, no_wrap=True, min_width=column_width)
    name_width = max(_MIN_NAME, width - sum(widths.values()) - _GAP * len(widths))
    table.add_column("name", no_wrap=True, overflow="ellipsis", max_width=name_width)
    for i, project in enumerate(projects):
        table.add_row(*(cells[i] for cells in columns.values()), project.name)
    return table


def projects_json(projects: list[ProjectSummary]) -> str:
    """A JSON array, one object per project, with these keys only (a stable contract)."""
    rows = []
    for p in projects:
        latest = p.latest_version
        rows.append(
            {
                "id": p.id,
                "name": p.name,
                "created_at": p.created_at,
                "updated_at": p.updated_at,
                "latest_version": (
                    {"number": latest.number, "status": latest.status.value} if latest else None
                ),
            }
        )
    return json.dumps(rows, indent=2)


def cost_text(cost_usd: float | None) -> str:
    """As the web UI says it: two significant digits below a dollar; ``unknown`` for null (no
    price for the model), never a made-up $0."""
    if cost_usd is None:
        return "unknown"
    if cost_usd == 0 or cost_usd >= 1:
        return f"${cost_usd:,.2f}" if cost_usd else "$0"
    decimals = 1 - math.floor(math.log10(cost_usd))
    return f"${cost_usd:.{decimals}f}"


def versions_table(versions: list[Version]) -> Table:
    table = Table("version", "status", "files", "tokens", "cost", "prompt", "summary")
    for v in versions:
        table.add_row(
            f"v{v.number}",
            v.status.value,
            str(v.files_changed),
            f"{v.usage.prompt_tokens + v.usage.completion_tokens:,}",
            cost_text(v.cost_usd),
            v.prompt[:60],
            (v.summary or v.error or "")[:60],
        )
    return table


def tokens_table(tokens: list[TokenOut]) -> Table:
    """``tokens revoke`` takes the whole id, so it is never shortened (as in projects_table)."""
    table = Table(header_style="bold")
    table.add_column("id", no_wrap=True, min_width=max((len(t.id) for t in tokens), default=2))
    table.add_column("name", overflow="fold")
    for header in ("created (UTC)", "last used (UTC)"):
        table.add_column(header, no_wrap=True)
    table.add_column("revoked", no_wrap=True)
    for t in tokens:
        revoked = "yes" if t.revoked else ""
        table.add_row(t.id, t.name, _minute(t.created_at), _minute(t.last_used_at), revoked)
    return table
