"""A first prompt in plain English -> ApiSpec."""

from __future__ import annotations

import re

from apiforge.engine.features import FEATURES, FEATURES_BY_KEY, canonical
from apiforge.engine.field_phrases import RESERVED, parse_field
from apiforge.engine.nouns import Noun, clean_phrase, resource_noun
from apiforge.engine.reading import Draft, Reading, field_statement, find_relations, resource_items
from apiforge.engine.spec import ApiSpec, FieldSpec, RelationSpec, ResourceSpec
from apiforge.engine.text import negated, normalize, sentences
from apiforge.engine.words import human, singularize

EXAMPLE = (
    'For example: "A library API with books (title, author, isbn, published year, price) and '
    'members (name, email). Each book belongs to a member. Add pagination and API key auth."'
)
_INTROS = (
    re.compile(r"^(?:resources|entities|models|tables|collections|objects)\s*(?:are|:)\s*(.+)$"),
    re.compile(
        r"\b(?:api|service|backend|app|application|system|server|platform)\b\s*[-:,]?\s*"
        r"(?:(?:that|which|to|should|will|must) )?"
        r"(?:with|for|to manage|to track|manages|managing|tracking|to store|storing|"
        r"handles|handling|covering|exposing|having|has|have|containing|around|supports?|"
        r"(?=[a-z]))\s*(.+)$"
    ),
    re.compile(
        r"^(?:please\s+)?(?:build|create|make|generate|write|design|set up|setup|i need|i want|"
        r"we need|give me|can you (?:make|build|create)|could you (?:make|build|create))\b.*?"
        r"\b(?:for|with|to manage|to track|managing|tracking|of)\s+(.+)$"
    ),
    re.compile(
        r"\b(?:manage|manages|managing|track|tracks|tracking|crud for|endpoints for|routes for)"
        r"\s+(.+)$"
    ),
)
_DOMAIN = re.compile(
    r"^(?:a|an|my|our|the|simple|small)\s+([a-z]+(?: [a-z]+)?)\s*(?:\bwith\b|\bfor\b|"
    r"\bto manage\b|\bthat (?:has|manages|tracks)\b|\bwhere\b|:)\s+(.+)$"
)
_COUNTED = re.compile(
    r"^(?:\w+ )?(?:resources|entities|models|tables|collections|things)\s*:?\s*"
    r"(?:called |named |like )?(.+)$"
)
_HEADING = re.compile(r"^[a-z][a-z ]{0,30}:\s+(?=[a-z][a-z ]*\()")
_DEFAULT_TITLE_NOUNS = {"tasks", "todos", "posts", "articles", "notes", "events", "issues"}
MAX_RESOURCES = 12
_NOT_TITLE_WORDS = set(
    "a an the build create make need want me simple rest restful crud small basic json http web "
    "python fastapi new quick tiny full little i we us you my our for with write generate design "
    "please up set".split()
)


def detect_features(text: str) -> tuple[set[str], set[str]]:
    """Features asked for and features refused ("no auth") anywhere in the text."""
    lowered = text.lower()
    wanted: set[str] = set()
    refused: set[str] = set()
    for feature in FEATURES:
        for match in re.finditer(feature.pattern, lowered):
            (refused if negated(lowered, match.start()) else wanted).add(feature.key)
    if "bearer_auth" in wanted:
        wanted.discard("api_key_auth")
    return wanted, refused


_CLAUSE_BREAK = re.compile(
    r"\s*\b(?:where|in which|such that)\b\s*|"
    r":\s+(?=(?:each |every |a |an |the )?[a-z]+(?: [a-z]+)? (?:has|have|should|must|needs?)\b)"
)


def _read_sentence(sentence: str, reading: Reading) -> None:
    for clause in _CLAUSE_BREAK.split(sentence.lower()):
        if clause.strip():
            _read_clause(clause.strip(), reading)


def _read_clause(clause: str, reading: Reading) -> None:
    text = find_relations(clause, reading)
    text = _HEADING.sub("", re.sub(r"^(?:and|also|then|but|plus|so)\s+", "", text))
    if not text:
        return
    if statement := field_statement(text):
        reading.add(*statement)
        return
    for intro in _INTROS:
        if match := intro.search(text):
            items = resource_items(_strip_domain(match.group(1)))
            if items:
                for noun, phrases in items:
                    reading.add(noun, phrases)
                return
    for noun, phrases in resource_items(text):
        if phrases:
            reading.add(noun, phrases)


def _strip_domain(text: str) -> str:
    """ "a library with books and members" -> "books and members"."""
    if counted := _COUNTED.match(text):
        text = counted.group(1)
    match = _DOMAIN.match(text)
    if match and resource_noun(match.group(1), plural_only=True) is None:
        return match.group(2)
    return text


def _relation_target(phrase: str, draft: Draft, reading: Reading) -> str | None:
    words = clean_phrase(re.sub(r"\boptional(ly)?\b|\bid\b", " ", phrase)).split()
    if not words or len(words) > 2:
        return None
    singular = "_".join([*words[:-1], singularize(words[-1])])
    for name, other in reading.drafts.items():
        if other is not draft and other.noun.singular == singular:
            return name
    return None


_FEATURE_FILLER = re.compile(
    r"\b(a|an|the|with|and|add|support|supports|enabled?|endpoints?|checks?|for|on|my|our|"
    r"frontend|please|all|everything|by|allow|also|use|using|need|needs|simple|basic|key|keys)\b"
)


def _is_feature_phrase(phrase: str) -> bool:
    """ "with pagination", "api key auth": a feature request inside a field list."""
    text = phrase.lower()
    found = False
    for feature in FEATURES:
        text, count = re.subn(feature.pattern, " ", text)
        found = found or count > 0
    return found and not _FEATURE_FILLER.sub(" ", text).strip(" ,.-")


def _build_resource(draft: Draft, reading: Reading, features: set[str]) -> ResourceSpec:
    fields: dict[str, FieldSpec] = {}
    for phrase in draft.phrases:
        if _is_feature_phrase(phrase):
            continue
        if (target := _relation_target(phrase, draft, reading)) is not None:
            optional = bool(re.search(r"\boptional", phrase))
            reading.relations.append((draft.noun.name, target, not optional))
            continue
        field = parse_field(phrase)
        if field is None or field.name in RESERVED:
            if field is not None and field.name in {"created_at", "updated_at"}:
                features.add("timestamps")
            continue
        fields.setdefault(field.name, field)
    if not fields:
        default = "title" if draft.noun.name in _DEFAULT_TITLE_NOUNS else "name"
        fields[default] = FieldSpec(name=default, type="text")
    return ResourceSpec(
        name=draft.noun.name, singular=draft.noun.singular, fields=[*fields.values()]
    )


def build_resource_from(noun: Noun, phrases: list[str]) -> ResourceSpec:
    """One resource from its noun and field phrases (a follow-up's "add categories (name)")."""
    reading = Reading()
    return _build_resource(reading.add(noun, phrases), reading, set())


def link(resources: list[ResourceSpec], relations: list[tuple[str, str, bool]]) -> None:
    """Add each relation once as a foreign key; one that would close a cycle is optional."""
    by_name = {resource.name: resource for resource in resources}
    for child, parent, required in relations:
        resource = by_name.get(child)
        if resource is None or parent not in by_name or resource.relation_to(parent):
            continue
        field = f"{by_name[parent].singular}_id"
        if resource.field(field) is not None:
            resource.fields = [f for f in resource.fields if f.name != field]
        cyclic = _reaches(by_name, parent, child)
        resource.relations.append(
            RelationSpec(field=field, target=parent, required=required and not cyclic)
        )


def _reaches(by_name: dict[str, ResourceSpec], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        todo += [relation.target for relation in by_name[name].relations]
    return False


def guess_title(text: str, resources: list[ResourceSpec]) -> str:
    lowered = text.lower()
    domain = re.search(
        r"\b(?:api|service|backend) (?:for|to run) (?:a|an|my|our) ([a-z]+)\b", lowered
    )
    if domain and resource_noun(domain.group(1), plural_only=True) is None:
        return domain.group(1).capitalize() + " API"
    match = re.search(r"\b([a-z]+(?: [a-z]+)?)\s+(?:api|service|backend)\b", lowered)
    if match:
        words = [w for w in match.group(1).split() if w not in _NOT_TITLE_WORDS]
        if words:
            return " ".join(word.capitalize() for word in words) + " API"
    return human(resources[0].name).title() + " API"


def read_prompt(prompt: str) -> tuple[Reading, set[str], set[str]]:
    text = normalize(prompt)
    reading = Reading()
    for sentence in sentences(text):
        _read_sentence(sentence, reading)
    wanted, refused = detect_features(text)
    return reading, wanted, refused


def build_spec(prompt: str, reading: Reading, features: set[str]) -> ApiSpec:
    drafts = list(reading.drafts.values())[:MAX_RESOURCES]
    resources = [_build_resource(draft, reading, features) for draft in drafts]
    link(resources, reading.relations)
    keys = {key for key in features if key in FEATURES_BY_KEY}
    return ApiSpec(
        title=guess_title(prompt, resources), resources=resources, features=canonical(keys)
    )
