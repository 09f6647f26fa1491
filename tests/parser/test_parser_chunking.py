"""Property tests: any chunking of the same text gives the same (merged) events."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from apiforge.generation.reply_format import tags
from apiforge.generation.reply_format.parse_events import FileClosed, FileOpened, FileText, Prose

from .parser_helpers import CUTS, merge_text_events, parse_chunks, split_at

FRAGMENTS = [
    '<file path="a.py">',
    '<file path="b/c.py">\n',
    "</file>",
    "</file>\n",
    '<edit path="a.py">\n',
    "</edit>\n",
    "<summary>",
    "</summary>",
    '<delete path="d.py"/>',
    '<file path="../evil">',
    "```python\n",
    "```\n",
    "```",
    "\n",
    "x = 1",
    " ",
    "<",
    ">",
    "/",
    "</fi",
    "<fil",
    "`",
    "app/main.py\n",
    "# File: e.py\n",
    "<<<<<<< SEARCH\n",
    ">>>>>>> REPLACE\n",
]

documents = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet='ab<>/`\n "=', max_size=6)),
    max_size=30,
).map("".join)


@settings(deadline=None, max_examples=250, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents, cuts=CUTS)
def test_any_chunking_gives_the_same_events(text: str, cuts: list[int]) -> None:
    whole = merge_text_events(parse_chunks([text]))
    assert merge_text_events(parse_chunks(split_at(text, cuts))) == whole


@settings(deadline=None, max_examples=150)
@given(text=documents)
def test_one_character_chunks_give_the_same_events(text: str) -> None:
    assert merge_text_events(parse_chunks(list(text))) == merge_text_events(parse_chunks([text]))


@settings(deadline=None, max_examples=150)
@given(text=documents, cuts=CUTS)
def test_streamed_text_adds_up_to_the_closed_body(text: str, cuts: list[int]) -> None:
    streamed: dict[str, str] = {}
    for event in parse_chunks(split_at(text, cuts)):
        if isinstance(event, FileOpened):
            streamed[event.path] = ""
        elif isinstance(event, FileText):
            streamed[event.path] += event.text
        elif isinstance(event, FileClosed):
            assert event.body == streamed.pop(event.path)


content_lines = st.lists(
    st.text(alphabet=st.sampled_from("ab <>/=`\"'#:\tfile"), max_size=12), max_size=8
)
prose_text = st.text(alphabet=st.sampled_from("ab >:.\n"), max_size=20)


@st.composite
def tagged_documents(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str]:
    files: list[tuple[str, str]] = []
    prose_parts = [draw(prose_text)]
    text = prose_parts[0]
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        lines = draw(content_lines)
        content = "\n".join(lines) + ("\n" if draw(st.booleans()) else "")
        assume("</file>" not in content)
        assume(not lines or not tags.could_be_fence_open(lines[0]))
        path = f"pkg/mod_{index}.py"
        files.append((path, content))
        prose = draw(prose_text)
        prose_parts.append(prose)
        text += f'<file path="{path}">\n{content}</file>\n{prose}'
    return text, files, "".join(prose_parts)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
@given(document=tagged_documents(), cuts=CUTS)
def test_closed_bodies_equal_the_original_contents(
    document: tuple[str, list[tuple[str, str]], str], cuts: list[int]
) -> None:
    text, files, prose = document
    events = merge_text_events(parse_chunks(split_at(text, cuts)))
    closed = [(e.path, e.body) for e in events if isinstance(e, FileClosed)]
    assert closed == files
    assert "".join(e.text for e in events if isinstance(e, Prose)) == prose
