"""A first prompt in plain English -> ApiSpec."""

from __future__ import annotations

import re

from apiforge.engine.domain import lookup
from apiforge.engine.features import FEATURES, FEATURES_BY_KEY, canonical, is_feature_phrase
from apiforge.engine.field_phrases import RESERVED, parse_field
from apiforge.engine.knowledge import table_relations, typed_like_table, with_defaults
from apiforge.engine.nouns import Noun, clean_phrase, resource_noun
from apiforge.engine.reading import (
    LINK_VERB,
    Draft,
    Reading,
    field_statement,
    find_relations,
    read_mark,
    read_owned_choice,
    resource_items,
)
from apiforge.engine.scope import take_out_of_scope
from apiforge.engine.spec import ApiSpec, FieldSpec, RelationSpec, ResourceSpec
from apiforge.engine.subject import read_subject
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


_TITLE_ONLY = re.compile(
    r"^(?:(?:please|build|create|make|generate|write|design|set up|i need|i want|we need|"
    r"give me|me|can you|could you|hi|hello|hey|thanks|thank you|ok|okay)\s+)*"
    r"(?:[a-z-]+\s+){0,4}(?:api|app|application|service|backend|server|system|platform)?[ !.]*$"
)


def _read_sentence(sentence: str, reading: Reading) -> None:
    for clause in _CLAUSE_BREAK.split(sentence.lower()):
        if not clause.strip():
            continue
        text, not_built = take_out_of_scope(clause.strip())
        reading.leftovers += not_built
        before = _progress(reading)
        _read_clause(text.strip(" ,."), reading)
        if not not_built and _progress(reading) == before and _unread(clause):
            reading.leftovers.append(f'"{clause.strip(" ,.")}"')


def _progress(reading: Reading) -> tuple[int, int, int, Noun | None]:
    phrases = sum(len(draft.phrases) + len(draft.marks) for draft in reading.drafts.values())
    return len(reading.drafts), phrases, len(reading.relations), reading.subject


def _unread(clause: str) -> bool:
    """Whether a clause nothing was read from asks for something (not a title or a feature)."""
    wanted, refused = detect_features(clause)
    return not (wanted or refused) and not _TITLE_ONLY.match(clause.strip(" ,.:"))


def _read_clause(clause: str, reading: Reading) -> None:
    text = find_relations(clause, reading)
    text = _HEADING.sub("", re.sub(r"^(?:and|also|then|but|plus|so)\s+", "", text))
    if not text:
        return
    rest = read_subject(text, reading)
    if rest is not None:
        _read_items(rest, reading)
        return
    if read_mark(text, reading) or read_owned_choice(text, reading):
        return
    if statement := field_statement(text):
        reading.add(*statement)
        return
    for intro in _INTROS:
        if (match := intro.search(text)) and _read_items(match.group(1), reading):
            return
    if (heading := _NOUN_HEADING.match(text)) and _all_known(heading.group(1)):
        _read_items(heading.group(1), reading)  # "a job board: companies, jobs and applications"
        return
    items = resource_items(_strip_domain(text))
    known = all(noun.name == _table_plural(noun) for noun, _ in items)
    for noun, phrases in items:
        if phrases or known:
            reading.add(noun, phrases)


_NOUN_HEADING = re.compile(r"^[a-z][a-z -]{0,40}:\s*(.+)$")


def _all_known(text: str) -> bool:
    items = resource_items(text)
    return bool(items) and all(not p and n.name == _table_plural(n) for n, p in items)


def _table_plural(noun: Noun) -> str | None:
    entry = lookup(noun.singular)
    return noun.name if entry is not None else None


def _read_items(text: str, reading: Reading) -> bool:
    """Resources listed in ``text``; items that are none are left over. False if none."""
    unused: list[str] = []
    items = resource_items(_strip_domain(text), unused)
    for noun, phrases in items:
        reading.add(noun, phrases)
    if items:
        reading.leftovers += [f'"{item}"' for item in unused if not _filler(item)]
    return bool(items)


def _filler(item: str) -> bool:
    """Words that ask for nothing. A long item nothing was read from is not filler: it is
    reported, never dropped silently."""
    words = item.strip(" .").lower()
    return (
        is_feature_phrase(words)
        or not re.search(r"[a-z]", words)
        or bool(re.fullmatch(r"(?:and |or )?(?:more|etc|so on|other stuff|stuff|things)", words))
    )


def _strip_domain(text: str) -> str:
    """ "a library with books and members" -> "books and members"."""
    if counted := _COUNTED.match(text):
        text = counted.group(1)
    match = _DOMAIN.match(text)
    if match and resource_noun(match.group(1), plural_only=True) is None:
        return match.group(2)
    return text


_LINK_WORDS = re.compile(
    r"^(?:optional(?:ly)?\s+)?(?:(?:which|that) (?:is|are) |each )?"
    rf"(?:{LINK_VERB}|belong(?:s|ing)?) to\s+"
)


def linked_words(phrase: str) -> str | None:
    """ "linked to books" -> "books"; None for a phrase that names no link."""
    match = _LINK_WORDS.match(phrase)
    return phrase[match.end() :] if match else None


def _relation_target(phrase: str, draft: Draft, reading: Reading) -> str | None:
    """The resource a field phrase names ("author", "linked to books"), if the API has it."""
    phrase = _LINK_WORDS.sub("", phrase)
    words = clean_phrase(re.sub(r"\boptional(ly)?\b|\bid\b", " ", phrase)).split()
    if not words or len(words) > 2:
        return None
    singular = "_".join([*words[:-1], singularize(words[-1])])
    for name, other in reading.drafts.items():
        if other is not draft and other.noun.singular == singular:
            return name
    return None


def _phrase_fields(draft: Draft, reading: Reading, features: set[str]) -> list[FieldSpec]:
    """The fields a draft's phrases name; phrases naming a resource become relations."""
    fields: dict[str, FieldSpec] = {}
    entry = lookup(draft.noun.singular)
    for phrase in draft.phrases:
        if is_feature_phrase(phrase):
            continue
        if (target := _relation_target(phrase, draft, reading)) is not None:
            optional = bool(re.search(r"\boptional", phrase))
            reading.relations.append((draft.noun.name, target, not optional))
            continue
        if _LINK_WORDS.match(phrase):  # a link to a resource the API does not have
            reading.leftovers.append(f'"{phrase}"')
            continue
        field = parse_field(phrase)
        if field is None or field.name in RESERVED:
            if field is not None and field.name in {"created_at", "updated_at"}:
                features.add("timestamps")
            continue
        fields.setdefault(field.name, typed_like_table(entry, field))
    return [*fields.values()]


def _build_resource(draft: Draft, reading: Reading, features: set[str]) -> ResourceSpec:
    entry = lookup(draft.noun.singular)
    given = _phrase_fields(draft, reading, features)
    if entry is not None and (draft.extends_defaults or not given):
        given = with_defaults(entry, given)
    if not given:
        default = "title" if draft.noun.name in _DEFAULT_TITLE_NOUNS else "name"
        given = [FieldSpec(name=default, type="text")]
    for mark in draft.marks:
        given = _with_mark(given, parse_field(mark))
    return ResourceSpec(name=draft.noun.name, singular=draft.noun.singular, fields=given)


def _with_mark(given: list[FieldSpec], field: FieldSpec | None) -> list[FieldSpec]:
    """A flag is added when missing; named choices also replace a same-named default."""
    if field is None:
        return given
    if all(known.name != field.name for known in given):
        return [*given, field]
    if field.type != "enum":
        return given
    return [field if known.name == field.name else known for known in given]


def build_resource_from(
    noun: Noun, phrases: list[str], others: list[Noun]
) -> tuple[ResourceSpec, list[tuple[str, str, bool]], list[str]]:
    """One resource from its noun and field phrases (a follow-up's "add categories (name)"),
    the links its phrases name to the ``others`` ("linked to books"), and what was not read."""
    reading = Reading()
    for other in others:
        reading.add(other)
    resource = _build_resource(reading.add(noun, phrases), reading, set())
    return resource, reading.relations, reading.leftovers


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
    if not reading.drafts and reading.subject is not None:
        reading.add(reading.subject)
    wanted, refused = detect_features(text)
    return reading, wanted, refused


def build_spec(prompt: str, reading: Reading, features: set[str]) -> ApiSpec:
    drafts = list(reading.drafts.values())[:MAX_RESOURCES]
    resources = [_build_resource(draft, reading, features) for draft in drafts]
    link(resources, reading.relations)
    link(resources, table_relations(resources))
    keys = {key for key in features if key in FEATURES_BY_KEY}
    return ApiSpec(
        title=guess_title(prompt, resources), resources=resources, features=canonical(keys)
    )
