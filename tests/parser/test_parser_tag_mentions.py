"""A ``<file>`` tag named inside a sentence is prose; a tag that ends its line still opens.

The 0.5B model answered a fix round with ``A small change to the existing file, <file
path="app/main.py">, would make everything pass.``: read as a tag, that opened a file that
never closed, and the round counted as one with files (docs/output-format.md).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.generation.reply_format.parse_events import FileOpened, Prose
from apiforge.generation.reply_format.tags import MENTION_LOOKAHEAD

from .parser_helpers import CUTS, closed, merge_text_events, parse_chunks, parse_text, split_at

MENTION = 'A small change to the existing file, <file path="app/main.py">, would fix it.\n'


def test_a_tag_inside_a_sentence_is_prose() -> None:
    events = parse_text(MENTION)
    assert events == [Prose(MENTION)]


def test_a_tag_after_text_that_ends_its_line_opens_the_file() -> None:
    text = 'Here is the file: <file path="a.py">\nx = 1\n</file>\n'
    events = parse_text(text)
    assert closed(events) == {"a.py": "x = 1\n"}
    assert events[0] == Prose("Here is the file: ")


def test_a_tag_at_a_line_start_with_content_after_it_opens_the_file() -> None:
    assert closed(parse_text('<file path="a.py">x = 1\n</file>\n')) == {"a.py": "x = 1\n"}


def test_a_mention_then_the_real_file() -> None:
    text = MENTION + '<file path="app/main.py">\nx = 1\n</file>\n'
    events = parse_text(text)
    assert closed(events) == {"app/main.py": "x = 1\n"}
    assert events[0] == Prose(MENTION)


def test_the_rest_of_the_line_is_looked_at_up_to_a_bound() -> None:
    # Only the first MENTION_LOOKAHEAD characters after the tag decide (the hold-back is
    # bounded): blank that far, it is a tag, whatever comes later on the line.
    text = f'see <file path="a.py">{" " * MENTION_LOOKAHEAD}x\n</file>\n'
    events = parse_text(text)
    assert closed(events) == {"a.py": " " * MENTION_LOOKAHEAD + "x\n"}
    assert merge_text_events(parse_chunks(list(text))) == events


def test_a_tag_at_the_end_of_the_reply_after_text_is_a_tag() -> None:
    events = parse_text('Writing <file path="a.py">')
    assert FileOpened("a.py", "file") in events


@settings(deadline=None, max_examples=200)
@given(
    before=st.sampled_from(["", "Now ", "- ", "A change to "]),
    after=st.sampled_from(["\n", ", would fix it.\n", " \n", "x = 1\n"]),
    cuts=CUTS,
)
def test_mentions_are_decided_the_same_whatever_the_chunking(
    before: str, after: str, cuts: list[int]
) -> None:
    text = f'{before}<file path="a.py">{after}y\n</file>\nDone.\n'
    whole = merge_text_events(parse_chunks([text]))
    assert merge_text_events(parse_chunks(split_at(text, cuts))) == whole
    assert merge_text_events(parse_chunks(list(text))) == whole
    opened = FileOpened("a.py", "file") in whole
    assert opened == (not before.strip() or not after.strip())
