"""Follow-up changes about links between resources: add, remove, and filter by one.

Each change takes the spec (a copy it may modify) and one clause; it returns what it changed
in words, or None when the clause is not this kind of change.
"""

from __future__ import annotations

import re

from apiforge.engine.domain import lookup
from apiforge.engine.features import canonical
from apiforge.engine.field_phrases import field_name
from apiforge.engine.nouns import resource_noun
from apiforge.engine.prompt import link
from apiforge.engine.reading import Reading, find_relations
from apiforge.engine.spec import ApiSpec, FieldSpec, ResourceSpec

_NAME = r"([a-z _-]+?)"
_UNLINK = (
    rf"^(?:remove|delete|drop|get rid of) (?:the )?(?:link|relation|relationship|connection|"
    rf"foreign key) (?:between|from) (?:the )?{_NAME} (?:and|to) (?:the )?{_NAME}$",
    rf"^unlink (?:the )?{_NAME} (?:from|and) (?:the )?{_NAME}$",
    rf"^(?:the )?{_NAME} (?:should )?(?:no longer|don'?t|do not|shouldn'?t) belongs? to "
    rf"(?:an? |the )?{_NAME}(?: anymore| any more)?$",
)
_FILTER = (
    rf"^(?:let (?:me|users|people|clients) |allow (?:me |users )?(?:to )?|support |enable "
    rf"|add )?(?:filter|filtering)(?: of| on)? (?:the )?(?:{_NAME} )?by "
    rf"(?:their |the |its )?{_NAME}$"
)


def new_resource(spec: ApiSpec, name: str, singular: str) -> ResourceSpec:
    """A resource a follow-up mentions for the first time, with the table's default fields."""
    entry = lookup(singular)
    fields = entry.default_fields() if entry else [FieldSpec(name="name", type="text")]
    resource = ResourceSpec(name=name, singular=singular, fields=fields)
    spec.resources.append(resource)
    return resource


def add_relations(spec: ApiSpec, clause: str) -> str | None:
    """ "each book belongs to an author", "make books belong to authors", "each book has an
    author", "enrollments linking students and courses"."""
    clause = re.sub(r"^(?:make|add|create|also add)\s+", "", clause)
    reading = Reading()
    if find_relations(clause, reading) == clause or not reading.relations:
        return None
    for name, draft in reading.drafts.items():
        if _find(spec, name) is None:
            new_resource(spec, name, draft.noun.singular)
    relations = [
        (_name(spec, child), _name(spec, parent), required)
        for child, parent, required in reading.relations
    ]
    _require_existing(spec, relations)
    link(spec.resources, relations)
    return "linked " + ", ".join(f"{child} to {parent}" for child, parent, _ in relations)


def _require_existing(spec: ApiSpec, relations: list[tuple[str, str, bool]]) -> None:
    """Saying a link again makes an optional one required ("make books belong to authors")."""
    for child, parent, required in relations:
        resource = spec.resource(child)
        existing = resource.relation_to(parent) if resource else None
        if existing is not None and required:
            existing.required = True


def _find(spec: ApiSpec, name: str) -> ResourceSpec | None:
    """A resource by its plural name or by a table synonym ("writers" for authors)."""
    if (found := spec.resource(name)) is not None:
        return found
    noun = resource_noun(name.replace("_", " "))
    entry = lookup(noun.singular) if noun else None
    return next((r for r in spec.resources if entry and lookup(r.singular) is entry), None)


def _name(spec: ApiSpec, name: str) -> str:
    found = _find(spec, name)
    return found.name if found else name


def remove_link(spec: ApiSpec, clause: str) -> str | None:
    for pattern in _UNLINK:
        if match := re.match(pattern, clause):
            first, second = (_find(spec, _plural(match.group(i))) for i in (1, 2))
            if first is None or second is None:
                return None
            removed = _unlink(first, second) + _unlink(second, first)
            if not removed:
                return None
            return f"removed the link between {first.name} and {second.name}"
    return None


def _plural(words: str) -> str:
    noun = resource_noun(words)
    return noun.name if noun else words


def _unlink(child: ResourceSpec, parent: ResourceSpec) -> list[str]:
    gone = [r.field for r in child.relations if r.target == parent.name]
    child.relations = [r for r in child.relations if r.target != parent.name]
    return gone


def filter_by(spec: ApiSpec, clause: str) -> str | None:
    """ "let me filter books by author": a link's key filter, or field filtering."""
    match = re.match(_FILTER, clause)
    if not match:
        return None
    targets = [_find(spec, _plural(match.group(1)))] if match.group(1) else spec.resources
    by = match.group(2).strip()
    parent = _find(spec, _plural(by))
    done = []
    for resource in (t for t in targets if t is not None):
        if parent is not None and parent is not resource:
            if resource.relation_to(parent.name) is None:
                link(spec.resources, [(resource.name, parent.name, False)])
            key = f"{parent.singular}_id"
            done.append(f"{resource.name} can be filtered by {parent.singular}: ?{key}=")
        elif resource.field(field_name(by)) is not None:
            spec.features = canonical({*spec.features, "filtering"})
            done.append(f"{resource.name} can be filtered by {field_name(by)}: ?{field_name(by)}=")
    return "; ".join(done) or None
