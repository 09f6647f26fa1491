"""Running the page's JavaScript modules under node, as the browser would import them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apiforge.server.web import statuses_js

STATIC_JS = Path(__file__).resolve().parents[2] / "apiforge/web/static/js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="needs node to run the page's JavaScript")


def copy_of_page_js(directory: Path) -> Path:
    """The page's modules plus statuses.js, which the server writes at start-up."""
    shutil.copytree(STATIC_JS, directory)
    (directory / "statuses.js").write_text(statuses_js())
    return directory


def run_module(script: str, given: dict[str, Any], js_dir: Path | None = None) -> Any:
    """``script`` (an ES module reading JSON on stdin) run in ``js_dir``; its JSON output."""
    done = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script],
        cwd=js_dir,
        input=json.dumps(given),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)
