"""The messages sent to a model: format rules, previous files within budget, continuation."""

from __future__ import annotations

import pytest

from apiforge.providers.base import ChatTurn, GenerationRequest
from apiforge.providers.conversation import (
    FOLLOW_UP_RULES,
    build_conversation,
    rank_by_relevance,
    render_previous_files,
)
from apiforge.providers.errors import ProviderContextTooLong

FILES = {
    "requirements.txt": "fastapi\n",
    "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    "app/routers/books.py": "def list_books(limit: int = 20): ...\n" * 20,
    "app/routers/members.py": "def list_members(): ...\n" * 20,
    "tests/test_members.py": "def test_members(): ...\n" * 20,
}


def test_a_first_request_is_the_prompt_under_the_format_rules() -> None:
    conversation = build_conversation(GenerationRequest(prompt="a books API", version_number=1))
    assert "<file path=" in conversation.system and FOLLOW_UP_RULES not in conversation.system
    assert [t.role for t in conversation.messages] == ["user"]
    assert conversation.messages[0].content == "a books API"


def test_a_follow_up_carries_all_files_when_they_fit() -> None:
    request = GenerationRequest(
        prompt="add pagination to books",
        version_number=2,
        previous_files=FILES,
        history=(
            ChatTurn(role="user", content="a books API"),
            ChatTurn(role="assistant", content="Built it."),
        ),
    )
    conversation = build_conversation(request)
    assert FOLLOW_UP_RULES in conversation.system
    assert [t.role for t in conversation.messages] == ["user", "assistant", "user"]
    last = conversation.messages[-1].content
    assert all(f'<file path="{path}">' in last for path in FILES)
    assert last.endswith("Request:\nadd pagination to books")


def test_beyond_the_budget_the_list_and_the_most_relevant_files_are_sent() -> None:
    text = render_previous_files(FILES, "add pagination to books", budget_tokens=300)
    assert all(f"- {path}" in text for path in FILES)
    assert '<file path="app/routers/books.py">' in text
    assert '<file path="tests/test_members.py">' not in text


def test_relevance_puts_named_and_matching_files_first() -> None:
    ranked = rank_by_relevance(FILES, "members need an email")
    assert ranked[0] == "app/routers/members.py"


def test_a_project_too_big_even_to_list_is_explained() -> None:
    many = {f"app/module_{i}.py": "x\n" for i in range(400)}
    with pytest.raises(ProviderContextTooLong, match="Fork this version"):
        render_previous_files(many, "change", budget_tokens=100)


def test_a_continuation_asks_to_go_on_from_the_last_line() -> None:
    request = GenerationRequest(
        prompt="a books API",
        version_number=1,
        continuation_of='Plan.\n<file path="app/main.py">\nfrom fastapi import Fa',
    )
    messages = build_conversation(request).messages
    assert [t.role for t in messages] == ["user", "assistant", "user"]
    assert messages[1].content.endswith("from fastapi import Fa")
    assert messages[2].content.endswith("The last line you wrote was:\nfrom fastapi import Fa")
