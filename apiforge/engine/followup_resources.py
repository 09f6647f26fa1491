"""Follow-ups that add resources: "add a reviews resource with rating 1-5 and a comment,
linked to books" (fields, and links to the API's resources, adding a parent it lacks)."""

from __future__ import annotations

import re

from apiforge.engine.followup_links import new_resource
from apiforge.engine.nouns import Noun, resource_noun
from apiforge.engine.prompt import build_resource_from, link, linked_words
from apiforge.engine.reading import resource_items
from apiforge.engine.spec import ApiSpec, ResourceSpec
from apiforge.errors import PromptNotUnderstood

_ADD_RESOURCE = (
    r"^(?:add|create|include|also|support|track|store|manage) "
    r"(?:a |an |the |new |resources? |tables? |endpoints? for |for )*(.+)$"
)
RESOURCE_WORD = re.compile(r"\s+(?:resources?|tables?|endpoints?|entit(?:y|ies)|models?)\b")


def add_resources(spec: ApiSpec, clause: str) -> str | None:
    match = re.match(_ADD_RESOURCE, clause)
    items = resource_items(RESOURCE_WORD.sub("", match.group(1))) if match else []
    if not items or any(spec.resource(noun.name) for noun, _ in items):
        return None
    added: list[ResourceSpec] = []
    for noun, phrases in items:
        _add_linked_parents(spec, phrases)
        others = [Noun(r.name, r.singular) for r in spec.resources]
        resource, relations, unread = build_resource_from(noun, phrases, others)
        if unread:
            raise PromptNotUnderstood(f"Could not read {', '.join(unread)} for {noun.name}.")
        spec.resources.append(resource)
        link(spec.resources, relations)
        added.append(resource)
    return "added " + ", ".join(
        f"{resource.name} ({', '.join(resource.column_names())})" for resource in added
    )


def _add_linked_parents(spec: ApiSpec, phrases: list[str]) -> None:
    """ "add reviews …, linked to movies" when there are no movies yet: add them too."""
    for phrase in phrases:
        parent = resource_noun(linked_words(phrase) or "")
        if parent is not None and spec.resource(parent.name) is None:
            new_resource(spec, parent.name, parent.singular)
