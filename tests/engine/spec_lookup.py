"""Finding a resource or field of a spec in a test, failing with what the spec has instead."""

from __future__ import annotations

from apiforge.engine.spec import ApiSpec, FieldSpec, ResourceSpec


def resource_of(spec: ApiSpec, name: str) -> ResourceSpec:
    found = spec.resource(name)
    assert found is not None, f"{name} missing; have {[r.name for r in spec.resources]}"
    return found


def field_of(spec: ApiSpec, resource: str, name: str) -> FieldSpec:
    found = resource_of(spec, resource).field(name)
    assert found is not None, f"{resource}.{name} missing"
    return found
