"""Properties of the sentence readers: noun phrases start at word boundaries, named choices
keep every value, and a numeric range bounds an integer field."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.engine.field_phrases import parse_field
from apiforge.engine.reading import Reading, find_relations
from apiforge.engine.text import normalize

NOUNS = ["patient", "doctor", "student", "course", "book", "author", "member", "room", "guest"]
JOINS = ["appointment", "enrollment", "loan", "booking", "visit", "session"]
VALUES = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9).filter(
        lambda word: (
            word not in {"or", "and", "not", "is", "be", "one", "of", "either", "can", "must"}
        )
    ),
    min_size=3,
    max_size=5,
    unique=True,
)


@settings(max_examples=60, deadline=None)
@given(
    first=st.sampled_from(NOUNS),
    second=st.sampled_from(NOUNS),
    child=st.sampled_from(JOINS),
    lead=st.sampled_from(["and", "or", "plus", "with", "then", "also"]),
    verb=st.sampled_from(["link", "links", "linking", "connect", "join"]),
    tail=st.sampled_from(["", " at a start time", " on a date", " with a note"]),
)
def test_a_join_names_whole_words_only(
    first: str, second: str, child: str, lead: str, verb: str, tail: str
) -> None:
    """A noun never starts inside a word ("and appointments" is not "nd appointments") and
    never swallows the "at"/"on" after it ("a doctor at" is a doctor)."""
    sentence = f"patients, doctors {lead} {child}s that {verb} a {first} to a {second}{tail}"
    reading = Reading()
    find_relations(sentence, reading)
    if first == second:
        return  # a join needs two different resources
    assert set(reading.relations) == {
        (f"{child}s", f"{first}s", True),
        (f"{child}s", f"{second}s", True),
    }
    assert set(reading.drafts) == {f"{child}s", f"{first}s", f"{second}s"}


@settings(max_examples=60, deadline=None)
@given(values=VALUES, form=st.sampled_from(["status of {}", "(title, status: {})"]))
def test_named_choices_keep_every_value_in_order(values: list[str], form: str) -> None:
    listed = ", ".join(values[:-1]) + " or " + values[-1]
    text = normalize(form.format(listed))
    assert f"status ({', '.join(values)})" in text


@settings(max_examples=60, deadline=None)
@given(
    low=st.integers(min_value=-1000, max_value=1000),
    high=st.integers(min_value=-1000, max_value=1000),
    form=st.sampled_from(["rating {}-{}", "rating ({}-{})", "rating from {} to {}"]),
)
def test_a_range_bounds_an_integer_field(low: int, high: int, form: str) -> None:
    field = parse_field(form.format(low, high))
    assert field is not None
    assert field.name == "rating" and field.type == "integer"
    assert (field.minimum, field.maximum) == (min(low, high), max(low, high))
