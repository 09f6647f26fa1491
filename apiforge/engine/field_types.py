"""The field types the engine knows: one row per type, everything about it in one place.

To add a type, add a row to FIELD_TYPES (and its alias to the generated schemas prelude in
render/schemas.py if it needs one). Inference looks at the words of a field's name: the first
row whose ``name_words`` contains the last word, or whose ``name_prefixes`` starts the name, wins.
Explicit hints ("as a number", "price (integer)") use ``hint_words``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldType:
    key: str
    label: str
    python: str  # annotation in the generated pydantic models
    query: str  # annotation of a filter query parameter ("" = not filterable)
    sqlite: str
    name_words: frozenset[str] = frozenset()
    name_prefixes: tuple[str, ...] = ()
    hint_words: frozenset[str] = frozenset()
    samples: tuple[Any, Any] = ("", "")
    default: Any = None  # value an omitted non-required field takes (None = null)
    searchable: bool = False
    sortable: bool = True
    stored_as_json: bool = False


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TEXT = FieldType(
    key="text",
    label="text",
    python="Text",
    query="str",
    sqlite="TEXT",
    hint_words=_words("text string str varchar words"),
    samples=("Alpha", "Beta"),
    searchable=True,
)
INTEGER = FieldType(
    key="integer",
    label="integer",
    python="Integer",
    query="int",
    sqlite="INTEGER",
    name_words=_words(
        "count quantity qty year years minutes minute seconds hours age stock pages servings "
        "rank position duration capacity floor calories level votes likes views points reps sets "
        "credits"
    ),
    name_prefixes=("number_of_", "num_", "total_"),
    hint_words=_words("integer int whole"),
    samples=(3, 7),
)
NUMBER = FieldType(
    key="number",
    label="number",
    python="Number",
    query="float",
    sqlite="REAL",
    name_words=_words(
        "price amount rating weight cost balance salary height width length latitude "
        "longitude lat lng percentage percent discount fee budget distance score total tax rate"
    ),
    hint_words=_words("number float decimal numeric double money currency"),
    samples=(9.5, 19.25),
)
BOOLEAN = FieldType(
    key="boolean",
    label="boolean",
    python="bool",
    query="bool",
    sqlite="INTEGER",
    name_words=_words(
        "active completed complete done published enabled available verified archived paid "
        "visible featured public private approved finished open closed flag vegetarian vegan "
        "vaccinated adopted delivered returned resolved occupied full sold shipped confirmed"
    ),
    name_prefixes=("is_", "has_", "can_", "should_", "allow_"),
    hint_words=_words("boolean bool flag yes/no true/false checkbox"),
    samples=(True, False),
    default=False,
    sortable=True,
)
DATE = FieldType(
    key="date",
    label="date",
    python="date",
    query="date",
    sqlite="TEXT",
    name_words=_words("date due birthday deadline dob day birthdate"),
    hint_words=_words("date day"),
    samples=("2024-01-15", "2024-06-30"),
)
DATETIME = FieldType(
    key="datetime",
    label="date and time",
    python="datetime",
    query="",
    sqlite="TEXT",
    name_words=_words("at timestamp datetime"),
    hint_words=_words("datetime timestamp time"),
    samples=("2024-01-15T09:30:00Z", "2024-06-30T18:00:00Z"),
)
EMAIL = FieldType(
    key="email",
    label="email",
    python="Email",
    query="str",
    sqlite="TEXT",
    name_words=_words("email e-mail mail"),
    hint_words=_words("email e-mail"),
    samples=("alpha@example.com", "beta@example.com"),
)
URL = FieldType(
    key="url",
    label="URL",
    python="Url",
    query="str",
    sqlite="TEXT",
    name_words=_words("url website link homepage uri href avatar image photo picture thumbnail"),
    hint_words=_words("url link uri"),
    samples=("https://alpha.example.com", "https://beta.example.com"),
)
STRING_LIST = FieldType(
    key="list",
    label="list of strings",
    python="list[Text]",
    query="",
    sqlite="TEXT",
    name_words=_words("tags labels keywords aliases ingredients skills"),
    hint_words=_words("list array"),
    samples=(["red", "blue"], ["green"]),
    default=[],
    sortable=False,
    stored_as_json=True,
)
ENUM = FieldType(
    key="enum",
    label="one of",
    python="Literal",
    query="Literal",
    sqlite="TEXT",
    hint_words=_words("enum choice"),
)

# Inference order matters: the more specific words first ("published year" is a year).
FIELD_TYPES: dict[str, FieldType] = {
    t.key: t
    for t in (INTEGER, DATE, DATETIME, EMAIL, URL, NUMBER, STRING_LIST, BOOLEAN, TEXT, ENUM)
}


# "start time" is a moment; "cook time" or "reaction time" is a duration, so only these.
_MOMENT_WORDS = frozenset(
    "start end arrival departure pickup delivery appointment meeting event opening closing "
    "check_in check_out checkin checkout booking session visit match game".split()
)


def infer_type(name: str) -> FieldType:
    """The type a field name suggests: "published_year" -> integer, "is_active" -> boolean."""
    words = name.split("_")
    if len(words) > 1 and words[-1] == "time" and "_".join(words[:-1]) in _MOMENT_WORDS:
        return DATETIME
    for field_type in FIELD_TYPES.values():
        if words[-1] in field_type.name_words:
            return field_type
    for field_type in FIELD_TYPES.values():
        if any(name.startswith(prefix) for prefix in field_type.name_prefixes):
            return field_type
    return TEXT


def type_from_hint(word: str) -> FieldType | None:
    """The type an explicit hint word names ("integer", "date", "list"), if any."""
    for field_type in FIELD_TYPES.values():
        if word in field_type.hint_words:
            return field_type
    return None
