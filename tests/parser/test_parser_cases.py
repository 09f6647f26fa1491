"""The parser on the cases models actually produce."""

from __future__ import annotations

import pytest

from apiforge.generation.reply_format.parse_events import (
    FileClosed,
    FileDeleted,
    FileOpened,
    FileText,
    FileUnclosed,
    Prose,
    Rejected,
    Summary,
)
from apiforge.generation.reply_format.parser import StreamParser

from .parser_helpers import closed, parse_chunks, parse_text


def test_a_whole_reply_gives_prose_files_delete_edit_and_summary() -> None:
    text = (
        "Plan: 2 files.\n"
        '<file path="requirements.txt">\nfastapi\n</file>\n'
        '<delete path="app/old.py"/>\n'
        '<edit path="app/main.py">\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n</edit>\n'
        "<summary>Added things.</summary>\n"
    )
    assert parse_text(text) == [
        Prose("Plan: 2 files.\n"),
        FileOpened("requirements.txt", "file"),
        FileText("requirements.txt", "fastapi\n"),
        FileClosed("requirements.txt", "file", "fastapi\n"),
        FileDeleted("app/old.py"),
        FileOpened("app/main.py", "edit"),
        FileText("app/main.py", "<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"),
        FileClosed("app/main.py", "edit", "<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"),
        Summary("Added things."),
    ]


def test_angle_brackets_and_tag_lookalikes_inside_code_are_text() -> None:
    body = 'html = "<file>x</file> <b>"\nif a < b > c: pass\nx = "</file>" + y\n'
    assert closed(parse_text(f'<file path="a.py">\n{body}</file>\n')) == {"a.py": body}


def test_a_partial_tag_is_held_back_until_it_is_decided() -> None:
    parser = StreamParser()
    assert parser.feed("Hello <fi") == [Prose("Hello ")]
    assert parser.feed('le path="a.py">\nx = 1\n</fi') == [
        FileOpened("a.py", "file"),
        FileText("a.py", "x = 1\n"),
    ]
    assert parser.feed("le>\n") == [FileClosed("a.py", "file", "x = 1\n")]
    assert parser.feed("a <b> c") == [Prose("a "), Prose("<"), Prose("b> c")]


def test_a_markdown_fence_wrapping_the_body_is_stripped() -> None:
    text = '<file path="a.py">\n```python\nx = 1\n```\n</file>\n'
    assert closed(parse_chunks(list(text))) == {"a.py": "x = 1\n"}


def test_an_inner_fence_line_is_kept_when_more_code_follows() -> None:
    body = '```python\ndoc = """\n```\nexample\n```\n"""\n```\n'
    expected = 'doc = """\n```\nexample\n```\n"""\n'
    assert closed(parse_text(f'<file path="a.py">\n{body}</file>\n')) == {"a.py": expected}


def test_a_readme_that_starts_with_a_code_block_keeps_it() -> None:
    body = "```bash\npip install x\n```\n"
    assert closed(parse_text(f'<file path="README.md">\n{body}</file>\n')) == {"README.md": body}


def test_a_closing_tag_at_the_end_of_a_code_line_closes_the_file() -> None:
    assert closed(parse_text('<file path="a.py">\nx = 1</file>\n')) == {"a.py": "x = 1"}


def test_the_one_newline_after_the_opening_tag_is_not_body() -> None:
    assert closed(parse_text('<file path="a.py">\n\nx\n</file>')) == {"a.py": "\nx\n"}
    assert closed(parse_text('<file path="a.py">x\n</file>')) == {"a.py": "x\n"}
    assert closed(parse_text('<file path="a.py">\n</file>')) == {"a.py": ""}


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../up.py", "a/../../b", "a\\b.py", "a\x00b", "C:/x.py", "a//b", "x" * 201],
)
def test_unsafe_paths_are_rejected_and_their_body_skipped(path: str) -> None:
    events = parse_text(f'<file path="{path}">\nsecret = 1\n</file>\nafter\n')
    assert [type(e) for e in events] == [Rejected, Prose]
    assert events[-1] == Prose("after\n")


def test_the_file_limit_rejects_further_new_paths() -> None:
    text = "".join(f'<file path="f{i}.py">\nx\n</file>\n' for i in range(4))
    events = parse_text(text + '<file path="f0.py">\ny\n</file>\n', max_files=3)
    assert closed(events) == {"f0.py": "y\n", "f1.py": "x\n", "f2.py": "x\n"}
    assert [e.path for e in events if isinstance(e, Rejected)] == ["f3.py"]


def test_a_stream_that_ends_inside_a_file_reports_it_unclosed() -> None:
    events = parse_text('<file path="a.py">\ndef f():\n    return 1 <')
    assert events[-1] == FileUnclosed("a.py", "file", "def f():\n    return 1 <")
    assert not closed(events)


def test_finish_flushes_held_back_prose() -> None:
    parser = StreamParser()
    assert parser.feed("see <fil") == [Prose("see ")]
    assert parser.finish() == [Prose("<"), Prose("fil")]


def test_in_block_says_whether_a_continuation_is_worth_it() -> None:
    parser = StreamParser()
    parser.feed('<file path="a.py">\nx = ')
    assert parser.in_block
    parser.feed("1\n</file>\n")
    assert not parser.in_block


def test_code_dumped_in_a_fence_under_a_path_line_becomes_a_file() -> None:
    text = (
        "Here is the app.\n\n**app/main.py**\n```python\nfrom fastapi import FastAPI\n```\n"
        "And `requirements.txt`:\n```\nfastapi\n```\nRun it with:\n```bash\nuvicorn x\n```\n"
    )
    events = parse_text(text)
    assert closed(events) == {
        "app/main.py": "from fastapi import FastAPI\n",
        "requirements.txt": "fastapi\n",
    }
    prose = "".join(e.text for e in events if isinstance(e, Prose))
    assert prose.endswith("Run it with:\n```bash\nuvicorn x\n```\n")


def test_fences_in_prose_stay_prose_once_tags_were_seen() -> None:
    text = '<file path="a.py">\nx\n</file>\napp/main.py\n```python\ny\n```\n'
    assert closed(parse_text(text)) == {"a.py": "x\n"}


def test_a_summary_left_open_is_still_reported() -> None:
    assert parse_text("<summary>Made it") == [Summary("Made it")]


def test_feed_after_finish_is_an_error() -> None:
    parser = StreamParser()
    parser.finish()
    with pytest.raises(RuntimeError):
        parser.feed("x")
