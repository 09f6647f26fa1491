"""app/schemas.py: the pydantic create/update/read (and page) models of every resource."""

from __future__ import annotations

from apiforge.engine.render._text import join_blocks, quoted
from apiforge.engine.spec import ApiSpec, FieldSpec, RelationSpec, ResourceSpec

# Constrained aliases keep bad input a 422: SQLite cannot store ints past 64 bits, NaN, or
# strings with lone surrogates, and each would otherwise surface as a 500.
_PRELUDE = '''
MAX_INT = 2**63 - 1
EMAIL_PATTERN = r"^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"
URL_PATTERN = r"^https?://[^\\s/]+\\S*$"


def utf8_only(value: str) -> str:
    value.encode("utf-8")  # lone surrogates raise UnicodeEncodeError, a ValueError
    return value


Text = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(utf8_only)]
Integer = Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Email = Annotated[
    str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN), AfterValidator(utf8_only)
]
Url = Annotated[
    str, StringConstraints(max_length=2048, pattern=URL_PATTERN), AfterValidator(utf8_only)
]
Id = Annotated[int, Field(ge=1, le=MAX_INT)]


class PartialUpdate(BaseModel):
    """Base of the update models: omitted fields keep their value; null only where allowed."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def reject_null_for_required(self) -> "PartialUpdate":
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.nullable:
                raise ValueError(f"{name} cannot be null")
        return self
'''


_PYDANTIC_NAMES = ("AfterValidator", "BaseModel", "Field", "StringConstraints", "model_validator")


def annotation(field: FieldSpec) -> str:
    if field.type == "enum":
        return "Literal[" + ", ".join(quoted(choice) for choice in field.choices) + "]"
    bounds = [f"{key}={value}" for key, value in bounds_of(field).items()]
    if bounds and field.type in {"integer", "number"}:
        return f"Annotated[{field.kind.python}, Field({', '.join(bounds)})]"
    return field.kind.python


def bounds_of(field: FieldSpec) -> dict[str, int]:
    """The inclusive bounds a field was given, as pydantic's ge/le."""
    pairs = (("ge", field.minimum), ("le", field.maximum))
    return {key: value for key, value in pairs if value is not None}


def _create_line(field: FieldSpec) -> str:
    base = annotation(field)
    if field.required:
        return f"    {field.name}: {base}"
    default = field.kind.default
    if default is None:
        return f"    {field.name}: {base} | None = None"
    return f"    {field.name}: {base} = {default!r}"


def _relation_line(relation: RelationSpec) -> str:
    if relation.required:
        return f"    {relation.field}: Id"
    return f"    {relation.field}: Id | None = None"


def _create_model(resource: ResourceSpec) -> str:
    lines = [f"class {resource.class_name}Create(BaseModel):"]
    lines += [_create_line(field) for field in resource.fields]
    lines += [_relation_line(relation) for relation in resource.relations]
    return "\n".join(lines)


def nullable_columns(resource: ResourceSpec) -> list[str]:
    columns = [f.name for f in resource.fields if not f.required and f.kind.default is None]
    return columns + [r.field for r in resource.relations if not r.required]


def _update_model(resource: ResourceSpec) -> str:
    lines = [f"class {resource.class_name}Update(PartialUpdate):"]
    nullable = nullable_columns(resource)
    if nullable:
        names = ", ".join(quoted(name) for name in nullable)
        lines += [f"    nullable: ClassVar[frozenset[str]] = frozenset({{{names}}})", ""]
    lines += [f"    {f.name}: {annotation(f)} | None = None" for f in resource.fields]
    lines += [f"    {r.field}: Id | None = None" for r in resource.relations]
    return "\n".join(lines)


def _read_model(spec: ApiSpec, resource: ResourceSpec) -> str:
    lines = [f"class {resource.class_name}Read({resource.class_name}Create):", "    id: int"]
    if spec.has("timestamps"):
        lines += ["    created_at: datetime", "    updated_at: datetime"]
    return "\n".join(lines)


def _page_model(resource: ResourceSpec) -> str:
    name = resource.class_name
    return (
        f"class {name}Page(BaseModel):\n"
        f"    items: list[{name}Read]\n"
        "    total: int\n"
        "    limit: int\n"
        "    offset: int"
    )


def _imports(spec: ApiSpec) -> str:
    types = {field.type for resource in spec.resources for field in resource.fields}
    datetime_names = [n for n, used in (("date", "date" in types),) if used]
    if "datetime" in types or spec.has("timestamps"):
        datetime_names.append("datetime")
    typing_names = ["Annotated", "ClassVar"] + (["Literal"] if "enum" in types else [])
    lines = [f"from datetime import {', '.join(datetime_names)}"] if datetime_names else []
    lines += [
        f"from typing import {', '.join(typing_names)}",
        "",
        "from pydantic import (",
        *[f"    {name}," for name in _PYDANTIC_NAMES],
        ")",
    ]
    return "\n".join(lines)


def render_schemas(spec: ApiSpec) -> str:
    doc = '"""Request and response models for every resource."""'
    blocks = [f"{doc}\n\n{_imports(spec)}\n\n{_PRELUDE.strip()}"]
    for resource in spec.resources:
        blocks += [_create_model(resource), _update_model(resource), _read_model(spec, resource)]
        if spec.has("pagination"):
            blocks.append(_page_model(resource))
    return join_blocks(*blocks)
