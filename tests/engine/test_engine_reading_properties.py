"""Properties of the sentence readers: noun phrases start at word boundaries, named choices
keep every value, and a numeric range bounds an integer field."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from apiforge.engine.field_phrases import parse_field
from apiforge.engine.reading import Reading, find_relations, read_owned_choice
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
    assume(first != second)  # a join needs two different resources
    sentence = f"patients, doctors {lead} {child}s that {verb} a {first} to a {second}{tail}"
    reading = Reading()
    find_relations(sentence, reading)
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


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9).filter(
    lambda word: word not in {"not", "non", "can", "must", "marked", "flagged", "set", "made"}
)


@settings(max_examples=60, deadline=None)
@given(
    state=WORDS,
    verb=st.sampled_from(["", "marked as ", "flagged as ", "set as "]),
    negation=st.sampled_from(["not {}", "un{}", "non-{}", "not"]),
)
def test_a_state_or_its_negation_reads_as_a_mark_not_choices(
    state: str, verb: str, negation: str
) -> None:
    """ "x can be featured or not featured" is one yes/no flag: never an enum in brackets."""
    text = normalize(f"books can be {verb}{state} or {negation.format(state)}")
    assert text == f"books can be marked as {state}"


@settings(max_examples=60, deadline=None)
@given(values=VALUES)
def test_different_states_after_can_be_stay_choices(values: list[str]) -> None:
    listed = ", ".join(values[:-1]) + " or " + values[-1]
    assert normalize(f"status can be {listed}") == f"status ({', '.join(values)})"


@settings(max_examples=40, deadline=None)
@given(
    low=st.integers(min_value=0, max_value=9),
    high=st.integers(min_value=0, max_value=9),
    name=st.sampled_from(["address line", "street line", "lines"]),
)
def test_numbered_lines_are_text_not_a_range(low: int, high: int, name: str) -> None:
    field = parse_field(f"{name} {low}-{high}")
    assert field is not None
    assert field.type == "text" and (field.minimum, field.maximum) == (None, None)


@settings(max_examples=60, deadline=None)
@given(
    first=st.sampled_from(NOUNS),
    second=st.sampled_from(NOUNS),
    fields=st.sampled_from(["a comment", "a rating and a comment", "a note"]),
    comma=st.sampled_from([",", ""]),
)
def test_a_resource_with_fields_linked_to_two_others_links_to_both(
    first: str, second: str, fields: str, comma: str
) -> None:
    """The "with" fields stay with the child and never become a resource of their own."""
    reading = Reading()
    rest = find_relations(f"reviews with {fields}{comma} linked to {first}s and {second}s", reading)
    assert set(reading.relations) == {
        ("reviews", f"{first}s", True),
        ("reviews", f"{second}s", True),
    }
    assert rest == f"reviews with {fields}"


@settings(max_examples=60, deadline=None)
@given(values=VALUES, noun=st.sampled_from(NOUNS), owner=st.sampled_from(["{}s", "a {}'s"]))
def test_a_status_said_of_a_resource_keeps_every_choice_on_it(
    values: list[str], noun: str, owner: str
) -> None:
    listed = ", ".join(values[:-1]) + " or " + values[-1]
    reading = Reading()
    sentence = normalize(f"{owner.format(noun)} status can be {listed}")
    assert read_owned_choice(sentence, reading)
    assert reading.drafts[f"{noun}s"].marks == [f"status ({', '.join(values)})"]
