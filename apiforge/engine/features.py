"""The optional features a generated API can have: one registry entry per feature.

To add a feature, add a Feature here (how people ask for it) and teach the renderers what it
changes; the renderers ask ``spec.has(key)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    key: str
    label: str  # shown in "Understood: …; features: …"
    pattern: str  # a regex over the lowercased prompt
    excludes: tuple[str, ...] = ()  # features this one replaces


FEATURES: tuple[Feature, ...] = (
    Feature(
        key="api_key_auth",
        label="API key auth",
        pattern=r"\bapi[ -]?keys?\b|\bx-api-key\b|"
        r"\b(auth|authentication|authenticated|authorization|secured?|protect(ed)?)\b",
        excludes=("bearer_auth",),
    ),
    Feature(
        key="bearer_auth",
        label="bearer token auth",
        pattern=r"\bbearer\b|\bjwt\b|\b(access|auth) tokens?\b|\btoken[- ](based )?auth",
        excludes=("api_key_auth",),
    ),
    Feature(
        key="pagination",
        label="pagination",
        pattern=r"\bpaginat\w*|\bpaged\b|\bpages? of results\b|\blimit\s*(/|and|&)\s*offset\b",
    ),
    Feature(key="filtering", label="filtering", pattern=r"\bfilter\w*\b|\bfilterable\b"),
    Feature(key="sorting", label="sorting", pattern=r"\bsort\w*\b|\border(ed|ing)? by\b"),
    Feature(key="search", label="text search", pattern=r"\bsearch\w*\b|\bfull[- ]text\b"),
    Feature(
        key="timestamps",
        label="timestamps",
        pattern=r"\btime ?stamps\b|\btimestamp (fields|columns)\b|"
        r"\bcreated[_ ]at\b|\bupdated[_ ]at\b|"
        r"\bcreated\s*(/|and|&)\s*updated\b|\bwhen\b[^.]*\b(created|updated)\b",
    ),
    Feature(
        key="soft_delete",
        label="soft delete",
        pattern=r"\bsoft[- ]?delet\w*|\barchive instead\b|\bnever (really|actually|hard)[- ]delete",
    ),
    Feature(key="cors", label="CORS", pattern=r"\bcors\b|\bcross[- ]origin\b"),
    Feature(
        key="health",
        label="health endpoint",
        pattern=r"\bhealth\w*\b|\bliveness\b|\breadiness\b|\bstatus endpoint\b|\bping endpoint\b",
    ),
)
FEATURES_BY_KEY = {feature.key: feature for feature in FEATURES}
FEATURE_ORDER = tuple(feature.key for feature in FEATURES)


def canonical(keys: set[str]) -> list[str]:
    """Feature keys in registry order, with an auth scheme replacing the one it excludes."""
    return [key for key in FEATURE_ORDER if key in keys]


_FEATURE_FILLER = re.compile(
    r"\b(a|an|the|with|and|add|support|supports|enabled?|endpoints?|checks?|for|on|my|our|"
    r"frontend|please|all|everything|by|allow|also|use|using|need|needs|simple|basic|key|keys)\b"
)


def is_feature_phrase(phrase: str) -> bool:
    """ "with pagination", "api key auth": a feature request inside a list of fields."""
    text = phrase.lower()
    found = False
    for feature in FEATURES:
        text, count = re.subn(feature.pattern, " ", text)
        found = found or count > 0
    return found and not _FEATURE_FILLER.sub(" ", text).strip(" ,.-")
