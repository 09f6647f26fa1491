"""Parsing a streaming version's files on the event loop: the assembler's acceptance parse plus
the partial preview's boot check after each file, with the parse results shared (each file
parsed once) against a fresh parse at every check (what each check did before: every module
the app reaches, again, so work growing with the square of the files).

Run: ``.venv-dev/bin/python bench/bench_parse.py [repeats]`` (CPU seconds of this process).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apiforge.engine.engine import generate  # noqa: E402
from apiforge.sandbox.boot_check import check_boot  # noqa: E402
from apiforge.sandbox.module_imports import ParsedModules  # noqa: E402

PROMPTS = ("A library API with books and members", "a todo API with tasks, tags and users")


def stream_once(files: dict[str, str], shared: bool) -> tuple[float, int]:
    """CPU ms to accept each file (one parse) and check the tree after each; files parsed."""
    parsed = ParsedModules()
    landed: dict[str, str] = {}
    parses = 0
    started = time.process_time()
    for path, content in files.items():
        parsed.problem(path, content)  # the assembler's acceptance parse
        landed[path] = content
        checker = parsed if shared else ParsedModules()
        check_boot(landed, checker)
        parses += 0 if shared else checker.parses
    return (time.process_time() - started) * 1000, parses + parsed.parses


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"bench_parse — load {load}; CPU ms per streamed version, median of {repeats}")
    for prompt in PROMPTS:
        files = generate(prompt).files
        python = sum(path.endswith(".py") for path in files)
        for shared, label in ((False, "a fresh parse at each check"), (True, "parsed once")):
            runs = [stream_once(files, shared) for _ in range(repeats)]
            ms = statistics.median(r[0] for r in runs)
            print(
                f"  {prompt[:38]:<38} {len(files)} files ({python} .py)  {label:<28} "
                f"{ms:7.1f} ms, {runs[0][1]} parses"
            )


if __name__ == "__main__":
    main()
