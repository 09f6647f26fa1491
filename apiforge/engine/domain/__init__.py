"""The domain table: common API nouns with their default fields and usual parents.

The rows are data, split by domain into the ``nouns_*`` modules; this module only indexes
them by every name a person might use (singular, plural, synonyms).
"""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

from apiforge.engine.domain import (
    nouns_commerce,
    nouns_content,
    nouns_education,
    nouns_finance,
    nouns_health,
    nouns_inventory,
    nouns_iot,
    nouns_misc,
    nouns_people,
    nouns_social,
    nouns_travel,
    nouns_work,
)
from apiforge.engine.domain.entry import DefaultField, DomainNoun, ParentGroup
from apiforge.engine.words import singularize

__all__ = ["DefaultField", "DomainNoun", "ParentGroup", "all_nouns", "lookup"]

_MODULES = (
    nouns_people, nouns_commerce, nouns_content, nouns_work, nouns_inventory, nouns_finance,
    nouns_education, nouns_health, nouns_travel, nouns_iot, nouns_social, nouns_misc,
)  # fmt: skip


def all_nouns() -> tuple[DomainNoun, ...]:
    return tuple(entry for module in _MODULES for entry in module.NOUNS)


@cache
def _index() -> MappingProxyType[str, DomainNoun]:
    """Every singular name (key or synonym) -> its row; the first row to claim a name wins."""
    index: dict[str, DomainNoun] = {}
    for entry in all_nouns():
        index.setdefault(entry.key, entry)
    for entry in all_nouns():
        for synonym in entry.synonyms:
            index.setdefault(synonym, entry)
    return MappingProxyType(index)


def lookup(singular: str) -> DomainNoun | None:
    """The row for a resource's singular snake_case name ("order_item", "person"), if any."""
    index = _index()
    singular = singular.removesuffix("_value")  # "class" is a Python keyword: class_value
    if singular in index:
        return index[singular]
    words = singular.split("_")
    return index.get("_".join([*words[:-1], singularize(words[-1])]))
