"""The domain table applied to a spec: default fields, typed fields and the usual relations."""

from __future__ import annotations

from apiforge.engine.domain import DomainNoun, lookup
from apiforge.engine.field_phrases import field_name
from apiforge.engine.field_types import infer_type
from apiforge.engine.spec import FieldSpec, ResourceSpec
from apiforge.engine.words import singularize

Relation = tuple[str, str, bool]  # child resource, parent resource, required


def entry_for(resource: ResourceSpec) -> DomainNoun | None:
    return lookup(resource.singular)


def table_field(entry: DomainNoun, words: str) -> FieldSpec | None:
    """The row's field a phrase names ("due dates" -> due_date, "tags" -> tags), if any."""
    name = field_name(words)
    parts = name.split("_")
    for candidate in (name, "_".join([*parts[:-1], singularize(parts[-1])])):
        if (found := entry.field(candidate)) is not None:
            return found.spec()
    return None


def typed_like_table(entry: DomainNoun | None, field: FieldSpec) -> FieldSpec:
    """A field the prompt named without a type takes the table's type: order status -> enum."""
    known = entry.field(field.name) if entry else None
    if known is None or field.type != infer_type(field.name).key or field.type == known.type:
        return field
    return field.model_copy(update={"type": known.type, "choices": list(known.choices)})


def with_defaults(entry: DomainNoun, given: list[FieldSpec]) -> list[FieldSpec]:
    """The row's default fields, then the given ones; a given field replaces its default."""
    names = {field.name for field in given}
    return [f for f in entry.default_fields() if f.name not in names] + given


def _linked(resources: list[ResourceSpec], a: str, b: str) -> bool:
    by_name = {resource.name: resource for resource in resources}
    return bool(by_name[a].relation_to(b) or by_name[b].relation_to(a))


def _parent_in(
    resources: list[ResourceSpec], child: ResourceSpec, candidates: tuple[str, ...]
) -> ResourceSpec | None:
    for candidate in candidates:
        for resource in resources:
            entry = entry_for(resource)
            if resource is not child and entry is not None and entry.key == candidate:
                return resource
    return None


def table_relations(resources: list[ResourceSpec]) -> list[Relation]:
    """The relations the table knows between resources the API has and are not yet linked."""
    found: list[Relation] = []
    for child in resources:
        entry = entry_for(child)
        for group in entry.parents if entry else ():
            parent = _parent_in(resources, child, group.candidates)
            if parent is not None and not _linked(resources, child.name, parent.name):
                found.append((child.name, parent.name, group.required))
    return found


def table_direction(child: str, parent: str) -> bool:
    """False when the table says the link goes the other way (a user has a profile)."""
    parent_entry = lookup(parent)
    child_entry = lookup(child)
    if parent_entry is None or child_entry is None:
        return True
    return not any(child_entry.key in group.candidates for group in parent_entry.parents)
