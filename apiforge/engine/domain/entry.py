"""One row of the domain table: a common API noun, its default fields and the parents it has.

Rows are written compactly in the data modules (``nouns_*.py``)::

    noun("book", "title, isbn?, published_year:int?", parents="author|writer, publisher?")

- fields: ``name[:type][?]``, comma-separated. No type means the type the name suggests
  (``price`` -> number); ``a/b/c`` as the type is an enum of those values; ``?`` = optional.
- parents: comma-separated groups; in a group ``a|b`` the first one present in the API wins;
  a ``?`` anywhere in the group makes the foreign key optional. The child (this row) holds
  the key: ``author_id``.
- also: synonyms (singular), each giving the same fields and relations.
"""

from __future__ import annotations

from dataclasses import dataclass

from apiforge.engine.field_types import infer_type
from apiforge.engine.spec import FieldSpec
from apiforge.engine.words import pluralize

_TYPE_ABBREVIATIONS = {"int": "integer", "num": "number", "bool": "boolean"}


@dataclass(frozen=True)
class DefaultField:
    name: str
    type: str
    required: bool
    choices: tuple[str, ...] = ()

    def spec(self) -> FieldSpec:
        return FieldSpec(
            name=self.name, type=self.type, required=self.required, choices=list(self.choices)
        )


@dataclass(frozen=True)
class ParentGroup:
    """Which parent this noun belongs to: the first of ``candidates`` the API has."""

    candidates: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class DomainNoun:
    key: str  # singular snake_case: "order_item"
    plural: str  # "order_items"
    fields: tuple[DefaultField, ...]
    parents: tuple[ParentGroup, ...]
    synonyms: tuple[str, ...]

    def default_fields(self) -> list[FieldSpec]:
        return [field.spec() for field in self.fields]

    def field(self, name: str) -> DefaultField | None:
        return next((f for f in self.fields if f.name == name), None)


def _field(text: str) -> DefaultField:
    text = text.strip()
    required = not text.endswith("?")
    name, _, kind = text.rstrip("?").partition(":")
    if "/" in kind:
        return DefaultField(name, "enum", required, tuple(kind.split("/")))
    kind = _TYPE_ABBREVIATIONS.get(kind, kind) or infer_type(name).key
    return DefaultField(name, kind, required and kind not in {"boolean", "list"})


def _parents(text: str) -> tuple[ParentGroup, ...]:
    groups = []
    for group in filter(None, (part.strip() for part in text.split(","))):
        required = "?" not in group
        names = tuple(name.strip(" ?") for name in group.split("|"))
        groups.append(ParentGroup(names, required))
    return tuple(groups)


def noun(key: str, fields: str, parents: str = "", also: str = "", plural: str = "") -> DomainNoun:
    return DomainNoun(
        key=key,
        plural=plural or "_".join([*key.split("_")[:-1], pluralize(key.split("_")[-1])]),
        fields=tuple(_field(text) for text in fields.split(",") if text.strip()),
        parents=_parents(parents),
        synonyms=tuple(s.strip().replace(" ", "_") for s in also.split(",") if s.strip()),
    )
