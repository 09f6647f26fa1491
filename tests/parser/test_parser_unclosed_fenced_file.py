"""A ``<file>`` whose body is a fenced block and whose ``</file>`` never comes.

Small models write the tag, wrap the content in a fence, close the fence and move on to the
next ``<file>`` (or end the reply). The closed fence decides: such a file ends at its fence
when the next non-blank line is a tag or the reply ends (docs/output-format.md).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiforge.generation.reply_format.parse_events import (
    FileDeleted,
    FileUnclosed,
    Prose,
    Summary,
)

from .parser_helpers import CUTS, closed, merge_text_events, parse_chunks, parse_text, split_at

MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def test_the_next_file_tag_ends_a_fenced_file_without_its_closing_tag() -> None:
    text = (
        'Understood.\n<file path="requirements.txt">\n```\nfastapi\n```\n'
        f'<file path="app/main.py">\n```python\n{MAIN}```\n\n'
        '<file path="app/__init__.py">\n</file>\n<summary>Done.</summary>\n'
    )
    events = parse_text(text)
    assert closed(events) == {
        "requirements.txt": "fastapi\n",
        "app/main.py": MAIN,
        "app/__init__.py": "",
    }
    assert Summary("Done.") in events
    assert not any(isinstance(e, FileUnclosed) for e in events)


def test_the_reply_end_ends_a_fenced_file_without_its_closing_tag() -> None:
    events = parse_text(f'<file path="app/main.py">\n```python\n{MAIN}```\n\n')
    assert closed(events) == {"app/main.py": MAIN}
    assert not any(isinstance(e, FileUnclosed) for e in events)


def test_a_delete_or_summary_tag_after_the_fence_ends_the_file_too() -> None:
    text = f'<file path="a.py">\n```python\n{MAIN}```\n<delete path="b.py"/>\n<summary>S</summary>'
    events = parse_text(text)
    assert closed(events) == {"a.py": MAIN}
    assert FileDeleted("b.py") in events
    assert Summary("S") in events


def test_prose_after_the_fence_then_the_next_tag_ends_the_file_at_its_fence() -> None:
    # The known gap: "### Tests:" (or any explanation) between the closing fence and the next
    # <file> used to keep the fence, the prose and the next tag as this file's content.
    text = (
        f'<file path="app/main.py">\n```python\n{MAIN}```\n\nThis sets up the app.\n'
        "### Tests:\n"
        '<file path="tests/test_main.py">\n```python\nx = 1\n```\n</file>\n'
    )
    events = parse_text(text)
    assert closed(events) == {"app/main.py": MAIN, "tests/test_main.py": "x = 1\n"}
    assert Prose("This sets up the app.\n### Tests:\n") in events


def test_prose_after_the_fence_then_the_reply_end_ends_the_file_at_its_fence() -> None:
    # This asserted the opposite before (the file unclosed, "```\nmore\n" its content): a
    # reply that explains its last file after the fence then lost that file.
    text = '<file path="a.py">\n```python\nx = 1\n```\nmore\n'
    events = parse_text(text)
    assert closed(events) == {"a.py": "x = 1\n"}
    assert events[-1] == Prose("more\n")


def test_text_after_the_fence_then_the_closing_tag_is_content() -> None:
    # </file> says the text was the file's: the fence stays in it (as it always did).
    text = '<file path="a.py">\n```python\nx = 1\n```\nmore\n</file>\n'
    assert closed(parse_text(text)) == {"a.py": "x = 1\n```\nmore\n"}


def test_an_edit_keeps_text_after_a_fence_as_content() -> None:
    text = '<edit path="a.py">\n```\nx\n```\nmore\n'
    assert parse_text(text)[-1] == FileUnclosed("a.py", "edit", "x\n```\nmore\n")


def test_an_unfenced_file_cut_off_stays_unclosed() -> None:
    events = parse_text('<file path="a.py">\nx = 1\n')
    assert events[-1] == FileUnclosed("a.py", "file", "x = 1\n")


def test_a_closing_tag_after_the_fence_still_closes_normally() -> None:
    text = '<file path="a.py">\n```python\nx = 1\n```\n</file>\n<file path="b.py">\ny\n</file>\n'
    assert closed(parse_text(text)) == {"a.py": "x = 1\n", "b.py": "y\n"}


def test_a_line_that_is_not_one_of_our_tags_is_content() -> None:
    text = '<file path="a.html">\n```html\n<p>\n```\n<div>\n</file>\n'
    assert closed(parse_text(text)) == {"a.html": "<p>\n```\n<div>\n"}


def test_an_edit_without_its_closing_tag_is_still_unclosed() -> None:
    text = '<edit path="a.py">\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n'
    assert isinstance(parse_text(text)[-1], FileUnclosed)


def test_prose_before_the_first_tag_is_still_prose() -> None:
    events = parse_text(f'Plan.\n<file path="a.py">\n```\n{MAIN}```\n')
    assert events[0] == Prose("Plan.\n")


# --- any chunking ---------------------------------------------------------------------------

bodies = st.lists(
    st.text(alphabet=st.sampled_from("ab =:()#<>/\t-"), max_size=10).filter(
        lambda line: not line.lstrip(" ").startswith(("```", "<", "</"))
    ),
    max_size=5,
).map(lambda lines: "".join(f"{line}\n" for line in lines))
ENDINGS = ["", "\n", "\n\n", "</file>\n", "\n</file>\n", "Explained.\n", "\n### Tests:\n\n"]
LAST_ENDINGS = [
    "",
    "\n",
    "<summary>x</summary>\n",
    "That is all.\n",
    "\nSo.\n<summary>x</summary>\n",
]


@st.composite
def tagged_fenced_replies(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    files: dict[str, str] = {}
    text = draw(st.sampled_from(["", "Understood.\n"]))
    paths = draw(st.lists(st.sampled_from(["a.py", "b/c.py", "req.txt", "d.js"]), unique=True))
    for index, path in enumerate(paths):
        body = draw(bodies)
        fence = draw(st.sampled_from(["```", "```python", "```js"]))
        text += f'<file path="{path}">\n{fence}\n{body}```\n'
        ending = draw(st.sampled_from(ENDINGS))
        if index == len(paths) - 1 and not ending.endswith("</file>\n"):
            ending = draw(st.sampled_from(LAST_ENDINGS))
        text += ending
        files[path] = body
    return text, files


@settings(deadline=None, max_examples=250, suppress_health_check=[HealthCheck.too_slow])
@given(reply=tagged_fenced_replies(), cuts=CUTS)
def test_fenced_files_without_closing_tags_are_the_same_whatever_the_chunking(
    reply: tuple[str, dict[str, str]], cuts: list[int]
) -> None:
    text, files = reply
    whole = merge_text_events(parse_chunks([text]))
    assert closed(whole) == files
    assert merge_text_events(parse_chunks(split_at(text, cuts))) == whole
    assert merge_text_events(parse_chunks(list(text))) == whole
