"""Follow-ups that add a yes/no flag: "books can be flagged as featured or not featured"."""

from __future__ import annotations

from apiforge.engine.field_phrases import parse_field
from apiforge.engine.reading import marked_flag
from apiforge.engine.spec import ApiSpec
from apiforge.errors import PromptNotUnderstood


def mark_flag(spec: ApiSpec, clause: str) -> str | None:
    """A boolean field on the named resource; None when the clause is not a marking."""
    found = marked_flag(clause)
    if found is None:
        return None
    noun, phrase = found
    resource = spec.resource(noun.name)
    if resource is None:
        raise PromptNotUnderstood(f'There is no resource called "{noun.name}".')
    field = parse_field(phrase)
    if field is None:
        return None
    if (same := resource.field(field.name)) is not None:
        return f"{resource.name}.{field.name} ({same.kind.label}) is already there"
    resource.fields.append(field)
    return f"added {resource.name}.{field.name}"
