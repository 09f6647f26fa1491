"""Which noun phrases name resources, and their plural/singular identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from apiforge.engine.words import is_plural, phrase_plural, phrase_singular, snake

_LEADING_WORDS = re.compile(
    r"^(?:(?:a|an|the|each|every|all|any|one|some|also|then|and|or|plus|where|our|my|its|their|"
    r"two|three|four|five|several|multiple|many|new|separate|with|for|of|to|manage|managing|"
    r"track|tracking|store|storing|handle|handling|list|listing|called|named|simple|basic|"
    r"following)\s+)+"
)
_NOT_RESOURCES = {
    "api", "apis", "app", "application", "service", "system", "backend", "endpoint", "endpoints",
    "crud", "database", "db", "data", "field", "fields", "thing", "things", "stuff",
    "everything", "it", "them", "they", "we", "i", "you", "resource", "resources", "entity",
    "entities", "model", "models", "table", "tables", "attribute", "attributes", "property",
    "properties", "rest", "server", "way", "feature", "features", "support", "ability", "info",
    "information", "details", "detail", "pagination", "auth", "authentication", "cors", "search",
    "sorting", "filtering", "timestamps", "route", "routes", "code", "tests", "test",
    "poem", "story", "joke", "song", "email", "emails", "this", "that", "these", "those", "there",
    "here", "which", "who", "what", "something", "anything", "health", "check", "key", "keys",
    "token", "tokens", "bearer", "list", "lists", "name", "names", "title", "type", "ways",
    "collection", "collections", "page", "pages", "soft", "delete", "deletes", "python", "fastapi",
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "by", "as", "is", "are",
}  # fmt: skip


@dataclass(frozen=True)
class Noun:
    name: str  # plural snake_case
    singular: str  # singular snake_case

    @property
    def words(self) -> str:
        return self.singular.replace("_", " ")


def clean_phrase(phrase: str) -> str:
    text = re.sub(r"[^a-z0-9 _-]", " ", phrase.lower())
    text = _LEADING_WORDS.sub("", re.sub(r"\s+", " ", text).strip())
    text = re.sub(r"\s+(?:too|as well|also)$", "", text)
    return text.strip()


def resource_noun(phrase: str, *, plural_only: bool = False) -> Noun | None:
    """The resource a phrase names ("order items", "each person"), or None."""
    text = clean_phrase(phrase)
    words = text.split()
    if not words or len(words) > 2 or any(w in _NOT_RESOURCES for w in words[-1:]):
        return None
    if any(not re.fullmatch(r"[a-z][a-z0-9_-]*", w) for w in words):
        return None
    if plural_only and not is_plural(words[-1]):
        return None
    singular = phrase_singular(text)
    return Noun(name=snake(phrase_plural(singular)), singular=snake(singular))
