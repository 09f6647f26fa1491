"""The offline provider: streamed tagged text, determinism, follow-ups, refusals, pacing."""

from __future__ import annotations

import json
import time

import pytest

from apiforge.engine.spec import SPEC_PATH
from apiforge.errors import PromptNotUnderstood
from apiforge.events.types import Usage
from apiforge.providers.base import GenerationRequest, StreamEnd, TextDelta
from apiforge.providers.offline import OfflineProvider
from apiforge.settings import Settings
from tests.engine.tagged import apply, split_tagged

PROMPT = (
    "A library API with books (title, author, isbn, published year, price) and members "
    "(name, email). Each book belongs to a member. Add pagination."
)


async def _run(
    prompt: str, previous: dict[str, str] | None = None, delay_ms: float = 0.0
) -> tuple[list[str], list[StreamEnd]]:
    request = GenerationRequest(
        prompt=prompt, version_number=2 if previous else 1, previous_files=previous or {}
    )
    texts: list[str] = []
    ends: list[StreamEnd] = []
    async for output in OfflineProvider(delay_ms=delay_ms).stream(request):
        if isinstance(output, TextDelta):
            assert not ends, "text after the end"
            texts.append(output.text)
        else:
            ends.append(output)
    return texts, ends


async def _files(prompt: str, previous: dict[str, str] | None = None) -> dict[str, str]:
    texts, _ = await _run(prompt, previous)
    return apply(previous or {}, split_tagged("".join(texts)))


def test_provider_is_named_and_built_from_settings() -> None:
    provider = OfflineProvider.from_settings(Settings(engine_delay_ms=25))
    assert (provider.name, provider.label, provider.delay_s) == ("offline", "offline engine", 0.025)


async def test_stream_opens_with_understanding_and_plan_then_files_then_summary() -> None:
    texts, ends = await _run(PROMPT)
    text = "".join(texts)
    lines = text.splitlines()
    assert lines[0] == (
        "Understood: 2 resources — books (6 fields), members (2 fields); relations: each book "
        "belongs to a member; features: pagination"
    )
    assert lines[1].startswith("Plan: ") and lines[1].endswith(" files.")
    assert lines[2].startswith('<file path="requirements.txt">')
    split = split_tagged(text)
    assert split.summary.startswith("Generated Library API")
    assert int(lines[1].split()[1]) == len(split.files)
    assert json.loads(split.files[SPEC_PATH])["title"] == "Library API"
    assert list(split.files)[:3] == ["requirements.txt", "app/__init__.py", "app/main.py"]
    # The engine uses no model: it reports zero tokens (not "none reported").
    assert ends == [StreamEnd(finish_reason="stop", usage=Usage())]


async def test_stream_comes_in_small_chunks() -> None:
    texts, _ = await _run(PROMPT)
    assert len(texts) > 20
    assert max(len(text) for text in texts) <= 200


async def test_same_prompt_and_previous_files_give_byte_identical_output() -> None:
    first, _ = await _run(PROMPT)
    second, _ = await _run(PROMPT)
    assert "".join(first) == "".join(second)
    previous = await _files(PROMPT)
    again = [await _run("add a rating (number) to books", previous) for _ in range(2)]
    assert "".join(again[0][0]) == "".join(again[1][0])


async def test_followup_re_emits_only_the_files_that_change() -> None:
    previous = await _files(PROMPT)
    texts, _ = await _run("make price optional", previous)
    split = split_tagged("".join(texts))
    assert set(split.files) == {"app/schemas.py", "app/db.py", "README.md", SPEC_PATH}
    assert split.deleted == []
    assert "".join(texts).splitlines()[1].startswith("Plan: made books.price optional")


async def test_followup_deletes_files_of_a_removed_resource_and_creates_new_ones() -> None:
    previous = await _files(PROMPT)
    texts, _ = await _run("rename members to patrons", previous)
    split = split_tagged("".join(texts))
    assert set(split.deleted) == {"app/routers/members.py", "tests/test_members.py"}
    assert {"app/routers/patrons.py", "tests/test_patrons.py"} <= set(split.files)
    assert all(previous.get(path) != text for path, text in split.files.items())
    after = apply(previous, split)
    assert json.loads(after[SPEC_PATH])["resources"][1]["name"] == "patrons"


async def test_unreadable_prompt_raises_before_any_output() -> None:
    request = GenerationRequest(prompt="write a poem about autumn", version_number=1)
    stream = OfflineProvider().stream(request)
    with pytest.raises(PromptNotUnderstood):
        await anext(stream)


async def test_unreadable_followup_raises_before_any_output() -> None:
    previous = await _files(PROMPT)
    request = GenerationRequest(prompt="hello there", version_number=2, previous_files=previous)
    with pytest.raises(PromptNotUnderstood) as error:
        await anext(OfflineProvider().stream(request))
    assert "Understood: 2 resources" in error.value.message


async def test_pacing_sleeps_between_chunks() -> None:
    started = time.perf_counter()
    texts, _ = await _run("tasks (title)", delay_ms=2)
    elapsed = time.perf_counter() - started
    assert elapsed >= (len(texts) - 1) * 0.002


async def test_generation_without_pacing_is_fast() -> None:
    prompt = (
        "Shop API: customers (name, email), products (name, price, stock, tags) and orders "
        "(quantity, ordered at). Each order belongs to a customer. Orders belong to products. "
        "API key auth, pagination, filtering, sorting, search, timestamps, soft delete, CORS, "
        "health endpoint."
    )
    await _run(prompt)  # warm imports and regex caches
    started = time.perf_counter()
    await _run(prompt)
    assert time.perf_counter() - started < 0.5


async def test_the_readme_runs_the_project_beside_apiforge() -> None:
    # uvicorn's default port is apiforge's own: a downloaded project run next to the server
    # it came from failed with "address already in use".
    readme = (await _files(PROMPT))["README.md"]
    assert "uvicorn app.main:app --reload --port 8001" in readme
    assert "127.0.0.1:8000" not in readme
