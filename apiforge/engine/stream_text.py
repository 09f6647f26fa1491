"""An engine result as tagged text (docs/output-format.md), cut into small chunks."""

from __future__ import annotations

from collections.abc import Iterator

from apiforge.engine.engine import EngineResult

CHUNK_CHARS = 200


def tagged_text(result: EngineResult) -> str:
    """Understanding line, plan line, file blocks, deletions, then the summary."""
    parts = [f"{result.understood}\n{result.plan}\n"]
    for path, content in result.files.items():
        body = content if content.endswith("\n") or not content else content + "\n"
        parts.append(f'<file path="{path}">\n{body}</file>\n')
    parts += [f'<delete path="{path}"/>\n' for path in result.deleted]
    parts.append(f"<summary>{result.summary}</summary>\n")
    return "".join(parts)


def chunks(text: str, size: int = CHUNK_CHARS) -> Iterator[str]:
    """Pieces of about ``size`` characters, cut after a newline when one is near."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        newline = text.rfind("\n", start + size // 2, end)
        if end < len(text) and newline != -1:
            end = newline + 1
        yield text[start:end]
        start = end
