"""Follow-ups that add a yes/no flag ("books can be flagged as featured or not featured") or
name a field's choices ("books status can be draft, published or archived")."""

from __future__ import annotations

from apiforge.engine.field_phrases import parse_field
from apiforge.engine.nouns import resource_noun
from apiforge.engine.reading import marked_flag, owned_choice
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


def set_choices(spec: ApiSpec, clause: str) -> str | None:
    """ "books status can be draft, published or archived": an enum field on books (the only
    resource when none is named), replacing a same-named field."""
    found = owned_choice(clause)
    if found is None:
        return None
    words, phrase = found
    noun = resource_noun(words) if words is not None else None
    resource = spec.resource(noun.name) if noun is not None else None
    if resource is None and words is None and len(spec.resources) == 1:
        resource = spec.resources[0]
    field = parse_field(phrase)
    if resource is None or field is None:
        return None
    if (same := resource.field(field.name)) == field:
        return f"{resource.name}.{field.name} ({field.kind.label}) is already there"
    if same is None:
        resource.fields.append(field)
        return f"added {resource.name}.{field.name} ({', '.join(field.choices)})"
    resource.fields = [field if f.name == field.name else f for f in resource.fields]
    return f"{resource.name}.{field.name} is now one of {', '.join(field.choices)}"
