"""Parses every project file in the current directory; prints one JSON result line."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from typing import Any

MARKER = "@@APIFORGE-RESULT@@"


def problem_in(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if path.endswith(".py"):
            compile(data, path, "exec", dont_inherit=True)
        elif path.endswith(".json"):
            json.loads(data)
        elif path.endswith(".toml"):
            tomllib.loads(data.decode("utf-8"))
    except SyntaxError as error:
        return {"file": path, "line": error.lineno or 0, "message": error.msg}
    except (ValueError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", 0) or 0
        return {"file": path, "line": line, "message": str(error)[:200]}
    except (RecursionError, MemoryError):
        return {"file": path, "line": 0, "message": "too deeply nested to parse"}
    return None


def main() -> None:
    checked, problems = 0, []
    for root, dirs, names in os.walk("."):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = os.path.relpath(os.path.join(root, name))
            if path.endswith((".py", ".json", ".toml")):
                checked += 1
                found = problem_in(path)
                if found is not None:
                    problems.append(found)
    sys.stdout.write(MARKER + json.dumps({"checked": checked, "problems": problems}) + "\n")


main()
