"""The system prompt's one-shot example: fenced off as someone else's reply, and valid.

Its first line leaked into fix rounds of other projects; it now sits between marker lines that
name it an example for a different request. What is between them must still be a reply the
parser turns into the files it shows.
"""

from __future__ import annotations

from apiforge.generation.reply_format.parse_events import FileClosed, Summary
from apiforge.generation.reply_format.parser import StreamParser
from apiforge.providers.conversation import SYSTEM_PROMPT

START, END = "===== example reply =====\n", "===== end of example =====\n"


def test_the_example_is_delimited_and_named_as_not_to_copy() -> None:
    before, rest = SYSTEM_PROMPT.split(START)
    assert "never copy" in before.rsplit("\n\n", 1)[-1]
    example, after = rest.split(END)
    assert after == ""
    assert example.count("Understood:") == 1


def test_the_example_is_a_reply_the_parser_reads_as_files() -> None:
    example = SYSTEM_PROMPT.split(START)[1].split(END)[0]
    parser = StreamParser()
    events = parser.feed(example) + parser.finish()
    files = [e.path for e in events if isinstance(e, FileClosed)]
    assert files == ["requirements.txt", "app/__init__.py", "app/main.py", "tests/test_ping.py"]
    assert Summary("A ping endpoint with a test.") in events
