"""SEARCH/REPLACE edits: exact, whitespace-tolerant, fuzzy, and honest failures."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.generation.reply_format.edits import (
    EditSection,
    apply_edit,
    apply_sections,
    parse_sections,
    render_sections,
)

ORIGINAL = (
    "from fastapi import APIRouter\n"
    "\n"
    "router = APIRouter()\n"
    "\n"
    "@router.get('/books')\n"
    "def list_books(limit: int = 20):\n"
    "    return BOOKS[:limit]\n"
)

# Unique lines, so a window of them occurs exactly once.
unique_lines = st.lists(
    st.text(alphabet="abcdefgh ()=:'", min_size=0, max_size=15), min_size=1, max_size=25
).map(lambda lines: [f"{i}: {line}" for i, line in enumerate(lines)])
new_lines = st.lists(st.text(alphabet="xyz =+", max_size=10), max_size=5)


@settings(deadline=None, max_examples=100)
@given(lines=unique_lines, data=st.data(), replacement=new_lines)
def test_an_exact_section_replaces_exactly_its_lines(
    lines: list[str], data: st.DataObject, replacement: list[str]
) -> None:
    start = data.draw(st.integers(0, len(lines) - 1))
    end = data.draw(st.integers(start + 1, len(lines)))
    section = EditSection("\n".join(lines[start:end]), "".join(r + "\n" for r in replacement))
    result = apply_edit("\n".join(lines) + "\n", render_sections([section]))
    expected = lines[:start] + replacement + lines[end:]
    assert result.ok and result.applied == ((0, "exact"),)
    assert result.text == "\n".join(expected) + ("\n" if expected else "")


@settings(deadline=None, max_examples=100)
@given(lines=unique_lines, data=st.data(), indent=st.sampled_from(["", "  ", "\t"]))
def test_whitespace_differences_still_apply(
    lines: list[str], data: st.DataObject, indent: str
) -> None:
    start = data.draw(st.integers(0, len(lines) - 1))
    original = "\n".join("    " + line for line in lines) + "\n"
    search = "\n".join(indent + line + "  " for line in lines[start : start + 1])
    result = apply_sections(original, [EditSection(search, indent + "NEW")])
    assert result.applied == ((0, "whitespace"),)
    assert result.text.split("\n")[start] == "    NEW"


@settings(deadline=None, max_examples=100)
@given(sections=st.lists(st.tuples(st.text("ab\n <>=", max_size=20), new_lines), max_size=4))
def test_render_then_parse_gives_back_the_sections(
    sections: list[tuple[str, list[str]]],
) -> None:
    wanted = [
        EditSection(
            "".join(line.strip("<=>") + "\n" for line in search.split("\n")),
            "".join(line + "\n" for line in rep),
        )
        for search, rep in sections
    ]
    assert parse_sections(render_sections(wanted)) == (wanted, [])


def test_sections_apply_in_order_and_failures_keep_the_rest() -> None:
    body = render_sections(
        [
            EditSection("def list_books(limit: int = 20):", "def list_books(limit: int = 50):"),
            EditSection("def delete_everything():", "pass"),
            EditSection("router = APIRouter()", "router = APIRouter(prefix='/v1')"),
        ]
    )
    result = apply_edit(ORIGINAL, body)
    assert "limit: int = 50" in result.text and "prefix='/v1'" in result.text
    assert [index for index, _ in result.applied] == [0, 2]
    assert [f.index for f in result.failures] == [1]


def test_a_small_typo_applies_by_fuzzy_match_and_keeps_indentation() -> None:
    search = "def list_book(limit: int = 20):\n    return BOOKS[:limit]"
    replace = "def list_books(limit: int = 20):\n    return BOOKS[:limit][::-1]"
    result = apply_sections(ORIGINAL, [EditSection(search, replace)])
    assert result.applied == ((0, "fuzzy"),)
    assert result.text.endswith("    return BOOKS[:limit][::-1]\n")


def test_a_failure_names_the_nearest_lines() -> None:
    search = "def list_books(limit: str = 99, offset: int = 0):\n    return []"
    result = apply_sections(ORIGINAL, [EditSection(search, "x")])
    assert result.text == ORIGINAL
    (failure,) = result.failures
    assert failure.nearest_line == 6
    assert failure.nearest is not None and failure.nearest.startswith("def list_books(limit")
    message = result.failure_message("app/routers/books.py")
    assert "app/routers/books.py: SEARCH block 1" in message and "Did you mean lines 6-7" in message


def test_an_unrelated_search_fails_without_a_guess() -> None:
    result = apply_sections(ORIGINAL, [EditSection("class Zebra(Protocol): ...", "x")])
    assert result.failures[0].nearest is None


def test_an_edit_already_in_the_file_counts_as_applied() -> None:
    once = apply_sections(
        ORIGINAL, [EditSection("    return BOOKS[:limit]", "    return []  # cleared")]
    )
    again = apply_sections(
        once.text, [EditSection("    return BOOKS[:limit]", "    return []  # cleared")]
    )
    assert again.applied == ((0, "already_applied"),) and again.text == once.text


def test_an_empty_search_appends_or_creates() -> None:
    assert apply_edit("", render_sections([EditSection("", "x = 1")])).text == "x = 1\n"
    assert apply_edit("a\n", render_sections([EditSection("", "b")])).text == "a\nb\n"


def test_malformed_and_missing_sections_are_reported() -> None:
    assert apply_edit(ORIGINAL, "<<<<<<< SEARCH\nx\n").failures[0].reason.startswith("has no")
    assert "no SEARCH/REPLACE" in apply_edit(ORIGINAL, "just prose").failures[0].reason
