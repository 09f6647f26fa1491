"""Reading a spec in a test: a resource or field (failing with what the spec has instead), every
resource's fields, every link."""

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


def fields_of(spec: ApiSpec) -> dict[str, dict[str, str]]:
    """Each resource's fields and their types."""
    return {r.name: {f.name: f.type for f in r.fields} for r in spec.resources}


def links_of(spec: ApiSpec) -> set[tuple[str, str]]:
    """(child, parent) of every link."""
    return {(r.name, rel.target) for r in spec.resources for rel in r.relations}
