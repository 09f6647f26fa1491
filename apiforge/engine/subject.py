"""The thing an API is about when the prompt names it before "API": "a todo API with tags".

"A todo API with tags and due dates" means todos that have tags and due dates, not resources
called tags and due_dates: items after "with" that are fields of the subject's table row (or
that name no resource at all) become its fields, on top of its default fields. The subject
becomes a resource only then, or when the prompt names no other resource.
"""

from __future__ import annotations

import re

from apiforge.engine.domain import lookup
from apiforge.engine.features import is_feature_phrase
from apiforge.engine.field_phrases import parse_field
from apiforge.engine.knowledge import table_field
from apiforge.engine.nouns import Noun, resource_noun
from apiforge.engine.reading import Reading, resource_items
from apiforge.engine.text import split_top_level

_SUBJECT = re.compile(
    r"^(?:(?:please|build|create|make|generate|write|design|set up|i need|i want|we need|"
    r"give me|me|can you|could you)\s+)*(?:(?:a|an|the|my|our)\s+)?"
    r"(?:(?:simple|basic|small|tiny|rest|restful|crud|json|http|web|new|little)\s+)*"
    r"(?P<subject>[a-z][a-z-]*(?: [a-z][a-z-]*)?)\s+"
    r"(?:api|app|application|service|backend|server|system|platform)\b"
    r"(?:\s*(?:,|:|-)?\s*(?:with|that has|having|including|supporting)\s+(?P<extras>.+))?$"
)
_TOOL_WORDS = r"\s+(?:manager|management|tracker|tracking|list|planner|log|logger|organi[sz]er)$"


def subject_noun(words: str) -> Noun | None:
    """The table noun the words before "API" name, if any: "todo list" -> todos."""
    for candidate in (words, re.sub(_TOOL_WORDS, "", words)):
        noun = resource_noun(candidate)
        if noun is not None and lookup(noun.singular) is not None:
            return noun
    return None


def _subject_field(noun: Noun, item: str) -> str | None:
    """The field phrase an extra item adds to the subject, or None when it is not a field."""
    entry = lookup(noun.singular)
    assert entry is not None
    words = re.sub(r"^(?:a|an|the|some)\s+", "", item.strip())
    words = re.sub(r"\s+(?:too|as well|also)$", "", words)
    if is_feature_phrase(words):
        return None
    if (known := table_field(entry, words)) is not None:
        return ("" if known.required else "optional ") + known.name.replace("_", " ")
    if resource_noun(words, plural_only=True) is not None or resource_items(words):
        return None
    field = parse_field(words)
    return words if field is not None and len(words.split()) <= 3 else None


def _opens_other_resource(subject: Noun, item: str) -> bool:
    """ "tasks that have a title" in "a todo API with …": the items after it are its fields."""
    items = resource_items(item)
    return bool(items) and items[0][0] != subject and bool(items[0][1])


def read_subject(clause: str, reading: Reading) -> str | None:
    """Record the subject; returns the extras that are not its fields ("" when none), or
    None when the clause does not open with a subject the table knows."""
    match = _SUBJECT.match(clause)
    noun = subject_noun(match.group("subject")) if match else None
    if match is None or noun is None:
        return None
    reading.subject = reading.subject or noun
    rest: list[str] = []
    fields: list[str] = []
    items = split_top_level(match.group("extras") or "")
    if any(resource_noun(item) == noun for item in items):
        return ", ".join(items)  # "a recipe app with recipes and ingredients"
    for index, item in enumerate(items):
        if _opens_other_resource(noun, item):
            rest += items[index:]  # "a todo API with tasks that have a title, …": tasks' fields
            break
        phrase = _subject_field(noun, item)
        (fields if phrase is not None else rest).append(phrase or item)
    if fields:
        reading.add(noun, fields).extends_defaults = True
    return ", ".join(rest)
