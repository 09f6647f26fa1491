"""The API spec: what the engine understood, and the single input of every renderer.

A spec is stored in each generated project as ``.apiforge/spec.json`` so the next version can
start from it (the engine keeps no state of its own) and people can inspect it.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict

from apiforge.engine.field_types import FIELD_TYPES, FieldType
from apiforge.engine.words import human, pascal

SPEC_PATH = ".apiforge/spec.json"
SPEC_FORMAT = 1


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: str  # a key of FIELD_TYPES
    required: bool = True
    choices: list[str] = []  # the allowed values of an enum
    minimum: int | None = None  # bounds of an integer ("rating 1-5"), inclusive
    maximum: int | None = None

    @property
    def kind(self) -> FieldType:
        return FIELD_TYPES[self.type]


class RelationSpec(BaseModel):
    """This resource belongs to ``target``: a foreign key column named ``field``."""

    model_config = ConfigDict(extra="forbid")

    field: str
    target: str  # the target resource's name (plural)
    required: bool = True


class ResourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str  # plural snake_case, also the table and the URL segment: "order_items"
    singular: str  # "order_item"
    fields: list[FieldSpec]
    relations: list[RelationSpec] = []

    @property
    def class_name(self) -> str:
        return pascal(self.singular)

    @property
    def label(self) -> str:
        return human(self.name)

    @property
    def column_count(self) -> int:
        return len(self.fields) + len(self.relations)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def relation_to(self, target: str) -> RelationSpec | None:
        return next((r for r in self.relations if r.target == target), None)

    def column_names(self) -> list[str]:
        return [f.name for f in self.fields] + [r.field for r in self.relations]


class ApiSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: int = SPEC_FORMAT
    title: str
    resources: list[ResourceSpec]
    features: list[str] = []

    def has(self, feature: str) -> bool:
        return feature in self.features

    @property
    def auth(self) -> str | None:
        return next((f for f in self.features if f.endswith("_auth")), None)

    def resource(self, name: str) -> ResourceSpec | None:
        return next((r for r in self.resources if r.name == name), None)

    def children_of(self, name: str) -> list[tuple[ResourceSpec, RelationSpec]]:
        """Resources that belong to ``name``, with the relation that links them."""
        return [
            (child, relation)
            for child in self.resources
            for relation in child.relations
            if relation.target == name
        ]

    def to_json(self) -> str:
        # Unset bounds are left out, so a spec without any reads as it did before they existed.
        data = self.model_dump(mode="json", exclude_none=True)
        return json.dumps(data, indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ApiSpec:
        return cls.model_validate_json(text)
