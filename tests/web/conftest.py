from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.page_js import copy_of_page_js


@pytest.fixture(scope="module")
def js_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_page_js(tmp_path_factory.mktemp("js") / "js")
