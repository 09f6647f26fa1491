"""``apiforge generate`` against a model speaking the OpenAI or Anthropic protocol.

The scripted model replies with exactly the text the offline engine would write, in small
chunks, so the files must come out exactly as they do with the offline engine.
"""

from __future__ import annotations

from pathlib import Path
from subprocess import CompletedProcess

import pytest

from apiforge.engine import generate, tagged_text
from tests.cli_runner import run_cli
from tests.providers.protocols import Dialect

from .scripted_thread import ThreadedScriptedServer

PROMPT = "a library API with books (title, isbn, published year) and members (name, email)"


def run_generate(out: Path, data_dir: Path, env: dict[str, str]) -> CompletedProcess[str]:
    return run_cli("generate", PROMPT, "--out", str(out), data_dir=data_dir, env=env)


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def offline_tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What ``apiforge generate`` writes with the offline engine: the same for both dialects,
    so it is generated once."""
    root = tmp_path_factory.mktemp("offline")
    offline = run_generate(root / "out", root / "data", {})
    assert offline.returncode == 0, offline.stdout + offline.stderr
    return tree(root / "out")


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_llm_generation_streams_the_same_files_as_offline(
    model: ThreadedScriptedServer, offline_tree: dict[str, str], tmp_path: Path, dialect: str
) -> None:
    text = tagged_text(generate(PROMPT))
    chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
    model.scripted.replies.clear()
    model.scripted.requests.clear()
    model.scripted.script(Dialect(dialect).reply(chunks, usage=(1200, 900)))  # type: ignore[arg-type]
    env = {
        "APIFORGE_PROVIDER": dialect,
        "APIFORGE_MODEL": "m",
        "APIFORGE_PROVIDER_MAX_RETRIES": "0",
    }
    if dialect == "openai":
        env |= {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{model.url}/v1"}
    else:
        env |= {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": model.url}
    llm = run_generate(tmp_path / "llm", tmp_path / "llm-data", env)
    assert llm.returncode == 0, llm.stdout + llm.stderr
    assert f"{dialect} m" in llm.stdout and "v1 complete" in llm.stdout
    assert tree(tmp_path / "llm") == offline_tree
    assert len(model.scripted.requests) == 1
