"""Plain-English summaries of a spec: the chat's "Understood: …" line."""

from __future__ import annotations

from apiforge.engine.features import FEATURES_BY_KEY
from apiforge.engine.spec import ApiSpec, ResourceSpec
from apiforge.engine.words import article, human


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def describe_features(spec: ApiSpec) -> str:
    return ", ".join(FEATURES_BY_KEY[key].label for key in spec.features)


def describe_relations(spec: ApiSpec) -> str:
    phrases = []
    for resource in spec.resources:
        for relation in resource.relations:
            target = spec.resource(relation.target)
            parent = human(target.singular) if target else relation.target
            phrases.append(f"each {human(resource.singular)} belongs to {article(parent)} {parent}")
    return ", ".join(phrases)


def describe(spec: ApiSpec) -> str:
    """One line: "Understood: 2 resources — books (5 fields), members (2 fields); features: …"."""
    resources = ", ".join(f"{r.label} ({_count(r.column_count, 'field')})" for r in spec.resources)
    line = f"Understood: {_count(len(spec.resources), 'resource')} — {resources}"
    if relations := describe_relations(spec):
        line += f"; relations: {relations}"
    if features := describe_features(spec):
        line += f"; features: {features}"
    return line


def describe_built(spec: ApiSpec) -> str:
    """What a first version contains: resources with their fields, relations and routes."""
    parts = [f"{r.label} ({', '.join(r.column_names())})" for r in spec.resources]
    text = "; ".join(parts)
    nested = [f"/{parent}/{{id}}/{child.name}" for child, parent in _nested(spec)]
    if nested:
        text += f"; nested routes {', '.join(nested)}"
    if features := describe_features(spec):
        text += f"; {features}"
    return text


def _nested(spec: ApiSpec) -> list[tuple[ResourceSpec, str]]:
    return [(r, rel.target) for r in spec.resources for rel in r.relations]
