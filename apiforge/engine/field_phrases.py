"""One field phrase ("an optional due date", "difficulty (easy, medium, hard)") -> FieldSpec."""

from __future__ import annotations

import re

from apiforge.engine.field_types import FIELD_TYPES, infer_type, type_from_hint
from apiforge.engine.spec import FieldSpec
from apiforge.engine.words import snake

_LEADING = re.compile(
    r"^(?:(?:a|an|the|its|their|his|her|some|each|every|also|plus|then|and|with|"
    r"including|include|has|have|had|store|stores|and also|as well as|maybe|field|fields)\s+)+"
)
_OPTIONAL = re.compile(
    r"\(optional\)|\boptional(ly)?\b|\bnullable\b|\bif any\b|\bnot required\b|"
    r"\bmay be (empty|blank|missing)\b|\bcan be (empty|blank|missing)\b"
)
_REQUIRED = re.compile(r"\(required\)|\brequired\b|\bmandatory\b|\bmust have\b")
_UNIT_INTEGER = re.compile(
    r"^(.+?) in (minutes|hours|seconds|days|weeks|months|years|cents|pages)$"
)
_UNIT_NUMBER = re.compile(r"^(.+?) in (dollars|euros|usd|eur|gbp|pounds|kg|kilograms|km|meters)$")
_LIST = re.compile(r"^(?:(?:a )?(?:list|array|set|collection) of|multiple|many) (.+)$")
_HINT = re.compile(r"^(.+?)\s*(?:\(([\w /-]+)\)|:\s*([\w /-]+)|\s+as\s+(?:an?\s+)?([\w /-]+))$")
_RANGE = re.compile(r"^(.+?)\s*\(?\s*(?:from |between )?(-?\d+)\s*(?:-|to|\.\.)\s*(-?\d+)\s*\)?$")
# "address line 1-2" numbers the lines of an address; it is not a value between 1 and 2.
_NUMBERED_PARTS = frozenset({"line", "lines", "address", "street"})
_FILLER = {"etc", "and so on", "more", "stuff", "things", "other stuff", "other details", "so on"}
RESERVED = frozenset({"id", "created_at", "updated_at", "deleted_at"})
_RENAMED = {"q", "sort", "order", "limit", "offset", "db", "payload", "json", "dict", "copy"}
_RENAMED |= {"schema", "validate", "construct", "fields", "items", "total", "nullable"}


def field_name(words: str) -> str:
    name = snake(words)
    if name in _RENAMED or name.startswith("model_"):
        name += "_value"
    return name


def _enum(phrase: str) -> tuple[str, list[str]] | None:
    match = re.match(r"^(.+?)\s*\(([^()]+)\)$", phrase)
    if not match:
        return None
    if type_from_hint(match.group(2).strip()) or _OPTIONAL.search(match.group(2)):
        return None
    values = [v.strip() for v in re.split(r",|/|\||\bor\b", match.group(2)) if v.strip()]
    if len(values) < 2 or any(type_from_hint(v) for v in values):
        return None
    choices = [snake(value) for value in values]
    return match.group(1), list(dict.fromkeys(choices))


def _typed(phrase: str) -> tuple[str, str | None]:
    """Split off units, list markers and explicit type hints: (name words, type key)."""
    if match := _LIST.match(phrase):
        return match.group(1), "list"
    if match := _UNIT_INTEGER.match(phrase):
        return f"{match.group(1)} {match.group(2)}", "integer"
    if match := _UNIT_NUMBER.match(phrase):
        return match.group(1), "number"
    if match := re.match(r"^(.+ at) (?:timestamp|datetime|date ?time|time)$", phrase):
        return match.group(1), "datetime"
    if phrase.endswith(" flag"):
        return phrase[: -len(" flag")], "boolean"
    if match := re.match(r"^whether (?:it(?:'s| is)|they are|the \w+ is )?\s*(.+)$", phrase):
        return "is " + match.group(1), "boolean"
    if match := _HINT.match(phrase):
        hint = next(g for g in match.groups()[1:] if g)
        kind = type_from_hint(hint.split()[-1]) or type_from_hint(hint.split()[0])
        if kind is not None:
            return match.group(1), kind.key
    return phrase, None


def parse_field(phrase: str) -> FieldSpec | None:
    """A FieldSpec for one phrase, or None when it is filler ("etc.") or too long to be a name.

    "rating 1-5" / "score (0 to 10)" is an integer with those inclusive bounds."""
    match = _RANGE.match(phrase.lower().strip(" .;:\"'"))
    if match and match.group(1).split()[-1] not in _NUMBERED_PARTS:
        field = _parse_unbounded(match.group(1))
        if field is None:
            return None
        low, high = sorted((int(match.group(2)), int(match.group(3))))
        return field.model_copy(
            update={"type": "integer", "choices": [], "minimum": low, "maximum": high}
        )
    return _parse_unbounded(phrase)


def _parse_unbounded(phrase: str) -> FieldSpec | None:
    text = phrase.lower().strip(" .;:\"'")
    optional = bool(_OPTIONAL.search(text))
    explicit_required = bool(_REQUIRED.search(text))
    text = _OPTIONAL.sub(" ", _REQUIRED.sub(" ", text))
    text = _LEADING.sub("", re.sub(r"\s+", " ", text).strip()).strip(" ,")
    text = re.sub(r"\s+(?:field|column|attribute|property)$", "", text)
    if not text or text in _FILLER:
        return None
    enum = _enum(text)
    name_words, type_key = (enum[0], "enum") if enum else _typed(text)
    name_words = _LEADING.sub("", name_words.strip())
    if not name_words or len(name_words.split()) > 4 or not re.search(r"[a-z]", name_words):
        return None
    name = field_name(name_words)
    kind = FIELD_TYPES[type_key] if type_key else infer_type(name)
    required = explicit_required or (not optional and kind.default is None)
    return FieldSpec(name=name, type=kind.key, required=required, choices=enum[1] if enum else [])
