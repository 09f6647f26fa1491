"""The version's tokens and cost, as a person sees them: a real server priced for the scripted
OpenAI-protocol model, which reports its usage; the card and the developer console say the cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import DONE_MS, create_project, expect_complete
from tests.generation.scripted_thread import ThreadedScriptedServer
from tests.providers.protocols import Dialect
from tests.providers.scripted_server import Pause, Reply
from tests.server_process import NO_LIMITS, ServerProcess

pytestmark = pytest.mark.browser

OPENAI = Dialect("openai")
REPLY = '<file path="app/main.py">\nfrom fastapi import FastAPI\n\napp = FastAPI()\n</file>\n'
USAGE = (1200, 900)
PRICE = {"input": 0.15, "output": 0.6}  # USD per million tokens
# (1200 × 0.15 + 900 × 0.6) / 1e6 = 0.00072, shown with two significant digits.
SHOWN = "2,100 tokens · $0.00072"


@pytest.fixture(scope="module")
def priced_server(
    tmp_path_factory: pytest.TempPathFactory, model: ThreadedScriptedServer
) -> Iterator[ServerProcess]:
    env = {**model.openai_env(), "APIFORGE_PRICES": json.dumps({"m": PRICE}), **NO_LIMITS}
    server = ServerProcess(tmp_path_factory.mktemp("priced-server"), env=env)
    server.start()
    yield server
    server.stop()


def test_the_card_and_the_console_show_what_the_version_cost(
    page: Page, priced_server: ServerProcess, model: ThreadedScriptedServer
) -> None:
    # The reply waits before its end, so the page is open when version:complete arrives live.
    ending = [Pause(1.5), *OPENAI.ending(usage=USAGE)]
    model.scripted.script(Reply(OPENAI.opening([REPLY], USAGE[0]) + ending))
    project_id = create_project(priced_server)
    page.goto(f"{priced_server.url}/projects/{project_id}?debug=true")
    expect_complete(page, 1)
    cost = page.locator(".version-card[data-version='1'] .card-cost")
    expect(cost).to_have_text(SHOWN, timeout=DONE_MS)
    expect(cost).to_have_attribute("data-cost", "0.00072")
    metrics = page.locator("#dev-metrics")
    expect(metrics).to_contain_text("1,200 in / 900 out")
    expect(metrics).to_contain_text("Cost$0.00072")
