"""Files written as markdown (a path line, then a fence): every accepted shape, every chunking.

The adversarial cases here are the decisions docs/output-format.md documents.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiforge.generation.reply_format.parse_events import (
    FileClosed,
    FileOpened,
    FileText,
    FileUnclosed,
    ParseEvent,
    Prose,
)

from .parser_helpers import CUTS, closed, merge_text_events, parse_chunks, parse_text, split_at

CODE = (
    'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/")\n'
    "def root() -> dict:\n    return {}\n"
)

# Every accepted way to announce a file above its fence ({p} is the path).
PATH_LINES = [
    "**{p}**",
    "**{p}**:",
    "`{p}`",
    "`{p}`:",
    "### {p}",
    "### `{p}`",
    "## 2. {p}",
    "{p}",
    "{p}:",
    "File: {p}",
    "# File: {p}",
    "**File:** `{p}`",
    "Filename: {p}",
    "1. **{p}**:",
    "2) `{p}`",
    "- `{p}`:",
    "* **{p}**",
    "+ {p}",
    "Here is `{p}`:",
    "And the entry point, **{p}** (FastAPI app):",
]
FENCE_OPENINGS = ["```python", "```", "```py", "````python", "``` python"]


def prose(events: list[ParseEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, Prose))


@pytest.mark.parametrize("shape", PATH_LINES)
@pytest.mark.parametrize("fence", FENCE_OPENINGS)
def test_every_path_line_shape_opens_a_file(shape: str, fence: str) -> None:
    ticks = fence[: len(fence) - len(fence.lstrip("`"))]
    text = f"Plan: one file.\n\n{shape.format(p='app/main.py')}\n{fence}\n{CODE}{ticks}\nDone.\n"
    events = parse_text(text)
    assert closed(events) == {"app/main.py": CODE}
    assert prose(events).endswith("Done.\n")


@pytest.mark.parametrize(
    "fence",
    [
        "```python app/main.py",
        "```app/main.py",
        "```python title=app/main.py",
        '```python title="app/main.py"',
        "```python file=app/main.py",
        "```python:app/main.py",
    ],
)
def test_a_fence_whose_info_string_names_the_path_is_that_file(fence: str) -> None:
    events = parse_text(f"Here it is.\n{fence}\n{CODE}```\n")
    assert closed(events) == {"app/main.py": CODE}


def test_the_numbered_bold_list_from_the_issue_gives_every_file() -> None:
    text = (
        "Sure! Here is the project.\n\n"
        "1. **requirements.txt**:\n```\nfastapi\nuvicorn\n```\n\n"
        f"2. **app/main.py**:\n```python\n{CODE}```\n\n"
        "3. **README.md**:\n```markdown\n# Todo\n\n```bash\nuvicorn app.main:app\n```\n```\n"
        "That's it!\n"
    )
    events = parse_text(text)
    assert closed(events) == {
        "requirements.txt": "fastapi\nuvicorn\n",
        "app/main.py": CODE,
        "README.md": "# Todo\n\n```bash\nuvicorn app.main:app\n```\n",
    }
    assert prose(events).endswith("That's it!\n")


def test_an_indented_fence_under_a_list_item_loses_its_indentation() -> None:
    indented = "".join(f"   {line}\n" if line else "\n" for line in CODE.splitlines())
    text = f"- `app/main.py`:\n   ```python\n{indented}   ```\n- `requirements.txt`:\n"
    assert closed(parse_text(text)) == {"app/main.py": CODE}


def test_the_file_streams_while_its_fence_streams() -> None:
    events = parse_chunks(["**a.py**\n```python\n", "x = 1\n", "y = 2\n", "```\n"])
    assert events[1:] == [
        FileOpened("a.py", "file"),
        FileText("a.py", "x = 1\n"),
        FileText("a.py", "y = 2\n"),
        FileClosed("a.py", "file", "x = 1\ny = 2\n"),
    ]


def test_a_reply_cut_off_inside_a_fence_leaves_the_file_unclosed() -> None:
    events = parse_text("- `app/main.py`:\n  ```python\n  import os\n  x = ")
    assert events[-1] == FileUnclosed("app/main.py", "file", "import os\nx = ")
    assert closed(events) == {}


def test_one_nameless_fence_split_by_path_comments_gives_each_file() -> None:
    text = (
        "Here is the complete project:\n\n```\n# requirements.txt\nfastapi\n\n"
        "# app/main.py\nfrom fastapi import FastAPI\n# a comment\napp = FastAPI()\n\n"
        "// README.md\nHello\n```\nEnjoy.\n"
    )
    events = parse_text(text)
    assert closed(events) == {
        "requirements.txt": "fastapi\n\n",
        "app/main.py": "from fastapi import FastAPI\n# a comment\napp = FastAPI()\n\n",
        "README.md": "Hello\n",
    }
    assert prose(events) == "Here is the complete project:\n\nEnjoy.\n"


def test_a_nameless_fence_starting_with_an_ordinary_comment_stays_prose() -> None:
    text = "Example:\n```python\n# call the API\nrequests.get(url)\n```\n"
    assert parse_text(text) == [Prose(text)]


def test_a_path_comment_without_a_blank_line_before_it_is_content() -> None:
    text = "```\n# app/main.py\nimport os\n# app/other.py\n```\n"
    assert closed(parse_text(text)) == {"app/main.py": "import os\n# app/other.py\n"}


# --- adversarial cases: each decided one way, as docs/output-format.md says -------------------


def test_an_example_snippet_without_a_path_stays_prose() -> None:
    text = "You can call it like this:\n```python\nrequests.get(url)\n```\n"
    assert parse_text(text) == [Prose(text)]


def test_a_path_line_with_no_fence_under_it_announces_nothing() -> None:
    text = (
        "- `app/main.py`: the entry point.\n- `app/models.py`\n\nSome words.\n```python\nx\n```\n"
    )
    assert parse_text(text) == [Prose(text)]


def test_a_command_under_a_path_line_is_an_example_not_the_file() -> None:
    text = "Run `app/main.py`:\n```bash\nuvicorn app.main:app\n```\n"
    assert parse_text(text) == [Prose(text)]


def test_a_path_inside_an_example_block_announces_nothing() -> None:
    text = "The layout:\n```text\napp/main.py\n```\n```python\nx = 1\n```\n"
    assert parse_text(text) == [Prose(text)]


def test_a_readmes_own_code_blocks_nest_inside_its_fence() -> None:
    body = "# Todo\n\n```bash\npip install -r requirements.txt\n```\n\nMore.\n"
    text = f"**README.md**\n```markdown\n{body}```\nBye.\n"
    events = parse_text(text)
    assert closed(events) == {"README.md": body}
    assert prose(events).endswith("Bye.\n")


def test_a_longer_outer_fence_holds_shorter_inner_fences_in_any_file() -> None:
    body = 'DOC = """\n```\nexample\n```\n"""\n'
    assert closed(parse_text(f"**a.py**\n````python\n{body}````\n")) == {"a.py": body}


def test_a_bare_inner_fence_ends_a_python_file() -> None:
    text = '**a.py**\n```python\nDOC = """\n```\nrest\n'
    assert closed(parse_text(text)) == {"a.py": 'DOC = """\n'}


def test_fences_after_a_tag_stay_prose() -> None:
    text = '<file path="a.py">\nx\n</file>\n**b.py**\n```python\ny\n```\n'
    assert closed(parse_text(text)) == {"a.py": "x\n"}


def test_an_unsafe_path_line_leaves_the_fence_as_prose() -> None:
    text = "**../evil.py**\n```python\nx\n```\n"
    assert parse_text(text) == [Prose(text)]


# --- properties: any chunking, every shape --------------------------------------------------

paths = st.sampled_from(["app/main.py", "requirements.txt", "tests/test_api.py", "README.md"])
code_lines = st.lists(
    st.text(alphabet=st.sampled_from("ab =:()#`*\t-"), max_size=10).filter(
        lambda line: not line.lstrip(" ").startswith("```")
    ),
    max_size=6,
)


@st.composite
def fenced_replies(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    files: dict[str, str] = {}
    text = draw(st.sampled_from(["", "Plan: files.\n", "Sure!\n\n"]))
    for path in draw(st.lists(paths, unique=True, max_size=3)):
        indent = " " * draw(st.sampled_from([0, 2, 3, 4]))
        body = "".join(f"{line}\n" for line in draw(code_lines))
        fence = draw(st.sampled_from(["```", "```python", "```text"]))
        shifted = "".join(f"{indent}{line}" if line != "\n" else line for line in _lines(body))
        if draw(st.booleans()):
            head = draw(st.sampled_from(PATH_LINES)).format(p=path)
            text += f"{head}\n{draw(st.sampled_from(['', chr(10)]))}{indent}{fence}\n{shifted}"
        else:
            text += f"{indent}{fence}\n{indent}# {path}\n{shifted}"
        text += f"{indent}```\n" + draw(st.sampled_from(["", "\n", "Next:\n\n"]))
        files[path] = body
    return text, files


def _lines(body: str) -> list[str]:
    return body.splitlines(keepends=True)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(reply=fenced_replies(), cuts=CUTS)
def test_every_shape_gives_its_files_whatever_the_chunking(
    reply: tuple[str, dict[str, str]], cuts: list[int]
) -> None:
    text, files = reply
    whole = merge_text_events(parse_chunks([text]))
    assert closed(whole) == files
    assert merge_text_events(parse_chunks(split_at(text, cuts))) == whole


MARKDOWN_FRAGMENTS = [
    "**a.py**\n",
    "1. **README.md**:\n",
    "- `b.py`:\n",
    "```python\n",
    "```python c.py\n",
    "```bash\n",
    "   ```\n",
    "```\n",
    "````\n",
    "x = 1\n",
    "  y\n",
    "\n",
    "File: d.txt\n",
    "# f.py\n",
    "// g.md\n",
    "`",
    " ",
    "<",
    '<file path="e.py">\n',
    "</file>\n",
]
markdown_documents = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_FRAGMENTS), st.text(alphabet="ab`*:\n -", max_size=5)),
    max_size=30,
).map("".join)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=markdown_documents, cuts=CUTS)
def test_any_mix_of_markdown_pieces_is_decided_the_same_whatever_the_chunking(
    text: str, cuts: list[int]
) -> None:
    whole = merge_text_events(parse_chunks([text]))
    assert merge_text_events(parse_chunks(split_at(text, cuts))) == whole
    assert merge_text_events(parse_chunks(list(text))) == whole
