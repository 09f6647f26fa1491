"""Follow-up prompts -> changes to the previous version's spec.

Each clause of the prompt is tried against the change kinds in CHANGES, in order; the first
that applies wins. A clause nothing applies to (and that names no feature) makes the whole
follow-up PromptNotUnderstood, so nothing changes on a half-understood request.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from apiforge.engine.describe import describe
from apiforge.engine.features import FEATURES_BY_KEY, canonical
from apiforge.engine.field_phrases import field_name, parse_field
from apiforge.engine.field_types import FIELD_TYPES, FieldType, type_from_hint
from apiforge.engine.followup_links import add_relations, filter_by, remove_link
from apiforge.engine.followup_marks import mark_flag, set_choices
from apiforge.engine.followup_resources import RESOURCE_WORD, add_resources
from apiforge.engine.knowledge import table_relations
from apiforge.engine.nouns import resource_noun
from apiforge.engine.prompt import detect_features, link
from apiforge.engine.reading import LINK_VERB
from apiforge.engine.scope import take_out_of_scope
from apiforge.engine.spec import ApiSpec, FieldSpec, ResourceSpec
from apiforge.engine.text import normalize, split_top_level
from apiforge.errors import PromptNotUnderstood

FOLLOWUP_EXAMPLE = (
    'For example: "add a rating (number) to books", "rename members to patrons", '
    '"make price optional", "remove the isbn field", "add pagination".'
)
_VERBS = (
    r"add|remove|delete|drop|rename|change|make|turn|convert|enable|disable|switch|use|include|"
    r"get rid|give|set|let|also|each|every|support|allow|require|filter|unlink|link"
)
_CLAUSE_SPLIT = re.compile(
    rf"(?:[.;!?]\s+|\n+|,?\s+(?:and|then|also|plus)\s+(?=(?:{_VERBS})\b)|,\s+(?=(?:{_VERBS})\b))"
)
_FILLER = re.compile(r"^(please|thanks|thank you|great|ok|okay|nice|cool|now|also|and)[ !.]*$")
_TARGET = r"(?:\s+(?:in|on|of|for|from)\s+(?:the\s+|each\s+|every\s+|all\s+)?([a-z][a-z _-]*?))?"

_THE = r"(?:the )?"
_EACH = r"(?:the |each |every |all )?"
_NAME = r"([a-z _-]+?)"
_REMOVE = r"(?:remove|delete|drop|get rid of)"
_RENAME_RESOURCE = (
    rf"^(?:rename|call) {_THE}{_NAME}(?: resource| table)? (?:to|as|into) "
    rf"{_THE}{_NAME}(?: instead)?$"
)
_REMOVE_RESOURCE = (
    rf"^{_REMOVE} {_THE}{_NAME}"
    r"(?: resource| table| endpoints?| entirely| completely)*$"
)
_REMOVE_FIELD = rf"^{_REMOVE} {_THE}{_NAME}(?: fields?| columns?)?{_TARGET}$"
_NO_LONGER_NEED = (
    rf"^{_NAME} (?:don'?t|do not|no longer) (?:need|have) (?:an? |the )?{_NAME}"
    r"(?: anymore| any more)?$"
)
_SET_REQUIRED = (
    rf"^(?:make )?{_THE}{_NAME}(?: fields?)?{_TARGET} (?:should |must )?(?:be )?"
    r"(required|mandatory|optional|nullable|not required)$"
)
_CHANGE_TYPE = (
    rf"^(?:change|make|turn|convert|set)?\s*{_THE}(?:type of )?{_NAME}(?: fields?)?{_TARGET}"
    r"(?: (?:should |must )?(?:be |to |into |is |as )+(?:an? )?(.+)| (\([^()]+\)))$"
)
_ADD_TO = (
    r"^(?:add|include|store|track|record|keep) (?:an? |the |new )*(?:fields? |columns? )?"
    rf"(.+) (?:to|on|in|for) {_EACH}{_NAME}(?: resource| table)?$"
)
_SHOULD_HAVE = (
    rf"^{_EACH}{_NAME} (?:should|must|need to|needs to|will) (?:also )?"
    r"(?:have|store|include|track) (.+)$"
)

_LINKED_END = re.compile(rf"\b(?:{LINK_VERB}|belong(?:s|ing)?)$")

Change = Callable[[ApiSpec, str], str | None]


def _fail(message: str, spec: ApiSpec) -> PromptNotUnderstood:
    return PromptNotUnderstood(f"{message} The current API: {describe(spec)}. {FOLLOWUP_EXAMPLE}")


def _resource(spec: ApiSpec, phrase: str | None) -> ResourceSpec | None:
    noun = resource_noun(phrase or "")
    return spec.resource(noun.name) if noun else None


def _require_resource(spec: ApiSpec, phrase: str) -> ResourceSpec:
    resource = _resource(spec, phrase)
    if resource is None:
        raise _fail(f'There is no resource called "{phrase.strip()}".', spec)
    return resource


def _find_fields(
    spec: ApiSpec, words: str, where: str | None
) -> list[tuple[ResourceSpec, FieldSpec]]:
    """Fields named by ``words`` (in resource ``where`` if given); exact names, then suffixes."""
    resources = [_require_resource(spec, where)] if where else spec.resources
    name = field_name(re.sub(r"^(?:the|a|an)\s+|\s+(?:field|column|attribute)$", "", words.strip()))
    for matches in (
        [(r, f) for r in resources for f in r.fields if f.name == name],
        [(r, f) for r in resources for f in r.fields if f.name.endswith("_" + name)],
    ):
        if matches:
            return matches
    raise _fail(f'No field called "{words.strip()}" exists{" in " + where if where else ""}.', spec)


def _type_named(words: str) -> FieldType | None:
    if re.search(r"\bwhole number\b", words):
        return FIELD_TYPES["integer"]
    for word in reversed(words.split()):
        if (kind := type_from_hint(word)) is not None:
            return kind
    return None


def rename_resource(spec: ApiSpec, clause: str) -> str | None:
    match = re.match(_RENAME_RESOURCE, clause)
    resource = _resource(spec, match.group(1)) if match else None
    new = resource_noun(match.group(2)) if match else None
    if resource is None or new is None:
        return None
    old_name = resource.name
    if spec.resource(new.name):
        raise _fail(f"There is already a resource called {new.name}.", spec)
    resource.name, resource.singular = new.name, new.singular
    for child in spec.resources:
        for relation in child.relations:
            if relation.target == old_name:
                relation.target = new.name
    return f"renamed {old_name} to {new.name}"


def rename_field(spec: ApiSpec, clause: str) -> str | None:
    match = re.match(
        rf"^rename (?:the )?([a-z _-]+?)(?: field| column)?{_TARGET} (?:to|as) ([a-z _-]+)$", clause
    )
    if not match:
        return None
    (resource, field), *_ = _find_fields(spec, match.group(1), match.group(2))
    new = field_name(match.group(3))
    if resource.field(new):
        raise _fail(f"{resource.name} already has a field called {new}.", spec)
    old, field.name = field.name, new
    return f"renamed {resource.name}.{old} to {new}"


def remove_resource(spec: ApiSpec, clause: str) -> str | None:
    match = re.match(_REMOVE_RESOURCE, clause)
    resource = _resource(spec, match.group(1)) if match else None
    if resource is None:
        return None
    if len(spec.resources) == 1:
        raise _fail("An API needs at least one resource, so the last one cannot go.", spec)
    spec.resources.remove(resource)
    for child in spec.resources:
        child.relations = [r for r in child.relations if r.target != resource.name]
    return f"removed {resource.name}"


def remove_field(spec: ApiSpec, clause: str) -> str | None:
    match = re.match(_REMOVE_FIELD, clause)
    if not match:
        match = re.match(_NO_LONGER_NEED, clause)
        if not match:
            return None
        match = re.match(r"(.*)\|(.*)", f"{match.group(2)}|{match.group(1)}")
        assert match is not None
    removed = []
    for words in split_top_level(match.group(1)):
        for resource, field in _find_fields(spec, words, match.group(2)):
            if len(resource.fields) == 1:
                raise _fail(f"{resource.name} needs at least one field.", spec)
            resource.fields.remove(field)
            removed.append(f"{resource.name}.{field.name}")
    return f"removed {', '.join(removed)}"


def set_required(spec: ApiSpec, clause: str) -> str | None:
    match = re.match(_SET_REQUIRED, clause)
    if not match:
        return None
    required = match.group(3) in {"required", "mandatory"}
    changed = []
    for words in split_top_level(match.group(1)):
        for resource, field in _find_fields(spec, words, match.group(2)):
            field.required = required
            changed.append(f"{resource.name}.{field.name}")
    return f"made {', '.join(changed)} {'required' if required else 'optional'}"


def change_type(spec: ApiSpec, clause: str) -> str | None:
    match = re.match(_CHANGE_TYPE, clause)
    if not match:
        return None
    choices = re.fullmatch(r"\(([^()]+)\)", (match.group(4) or match.group(3)).strip())
    kind = FIELD_TYPES["enum"] if choices else _type_named(match.group(3))
    if kind is None:
        return None
    changed = []
    for resource, field in _find_fields(spec, match.group(1), match.group(2)):
        field.type = kind.key
        if kind.key != "integer":
            field.minimum = field.maximum = None
        field.choices = (
            [v.strip().replace(" ", "_") for v in choices.group(1).split(",")] if choices else []
        )
        if kind.default is not None and field.required:
            field.required = False
        changed.append(f"{resource.name}.{field.name}")
    return f"changed {', '.join(changed)} to {kind.label}"


def add_fields(spec: ApiSpec, clause: str) -> str | None:
    patterns = (
        _ADD_TO,
        r"^(?:give) (?:the |each |every |all )?([a-z _-]+?) (.+)$",
        _SHOULD_HAVE,
    )
    for index, pattern in enumerate(patterns):
        if match := re.match(pattern, clause):
            phrases, target = (
                (match.group(1), match.group(2)) if index == 0 else (match.group(2), match.group(1))
            )
            if RESOURCE_WORD.search(phrases) or _LINKED_END.search(phrases):
                return None  # "add a reviews resource …, linked to books": a new resource
            resource = _resource(spec, target)
            if resource is not None:
                return _add_phrases(spec, resource, split_top_level(phrases))
    return None


def _add_phrases(spec: ApiSpec, resource: ResourceSpec, phrases: list[str]) -> str:
    added, present = [], []
    for phrase in phrases:
        parent = _resource(spec, re.sub(r"\b(optional|an?|the)\b", " ", phrase))
        if parent is not None and parent is not resource:
            link(spec.resources, [(resource.name, parent.name, "optional" not in phrase)])
            added.append(f"a link from {resource.name} to {parent.name}")
            continue
        field = parse_field(phrase)
        if field is not None and (same := resource.field(field.name)) is not None:
            present.append(f"{resource.name}.{field.name} ({same.kind.label})")
            continue
        if field is None:
            raise _fail(f'Could not add "{phrase}" to {resource.name}.', spec)
        resource.fields.append(field)
        added.append(f"{resource.name}.{field.name}")
    # Said apart, so a field that was already there never reads as one this prompt added.
    said = [f"added {', '.join(added)}"] * bool(added)
    verb = "is" if len(present) == 1 else "are"
    return "; ".join(said + [f"{', '.join(present)} {verb} already there"] * bool(present))


CHANGES: tuple[Change, ...] = (
    mark_flag,
    set_choices,
    remove_link,
    add_relations,
    rename_resource,
    rename_field,
    remove_resource,
    remove_field,
    set_required,
    change_type,
    add_fields,
    add_resources,
)


def _apply_features(spec: ApiSpec, text: str) -> list[str]:
    wanted, refused = detect_features(text)
    if clash := wanted & refused:
        raise _fail(f"The request both asks for and refuses {', '.join(sorted(clash))}.", spec)
    before = set(spec.features)
    keys = (before - refused) | wanted
    if "bearer_auth" in wanted:
        keys.discard("api_key_auth")
    if "api_key_auth" in wanted and "bearer_auth" not in wanted:
        keys.discard("bearer_auth")
    spec.features = canonical(keys)
    added = [FEATURES_BY_KEY[k].label for k in spec.features if k not in before]
    removed = [FEATURES_BY_KEY[k].label for k in canonical(before) if k not in keys]
    return [f"added {', '.join(added)}"] * bool(added) + [f"removed {', '.join(removed)}"] * bool(
        removed
    )


def _names_feature(clause: str) -> bool:
    wanted, refused = detect_features(clause)
    return bool(wanted | refused)


def _apply_clause(spec: ApiSpec, clause: str) -> str | None:
    """The first change that applies; if none does, the first complaint one of them made."""
    if (done := filter_by(spec, clause)) is not None:
        return done
    if _names_feature(clause) and not re.search(r"\b(field|column|attribute)s?\b", clause):
        return None
    complaint: PromptNotUnderstood | None = None
    for change in CHANGES:
        attempt = spec.model_copy(deep=True)
        try:
            done = change(attempt, clause)
        except PromptNotUnderstood as error:
            complaint = complaint or error
            continue
        if done is not None:
            spec.resources, spec.features = attempt.resources, attempt.features
            return done
    if complaint is not None:
        raise complaint
    return None


def _trim(clause: str) -> str:
    clause = re.sub(
        r"^(?:(?:please|now|also|and|then|can you|could you|let'?s|let us|i want to|"
        r"we need to|i'd like to|i would like to)\s+)+",
        "",
        clause,
    )
    return re.sub(r"\s+(?:now|please|too|as well|instead|thanks)$", "", clause)


def _read_clauses(spec: ApiSpec, text: str) -> tuple[list[str], list[str], str]:
    """What each clause changed, what clauses asked for that could not be done, and the text
    left to read features from (a "filter books by author" clause is not field filtering)."""
    changes: list[str] = []
    not_built: list[str] = []
    feature_text: list[str] = []
    for raw in (c.strip(" ,.!") for c in _CLAUSE_SPLIT.split(text)):
        clause, outside = take_out_of_scope(raw)
        clause = clause.strip(" ,.!")
        not_built += outside
        if not clause or _FILLER.match(clause) or (outside and len(clause.split()) < 3):
            continue
        try:
            done = _apply_clause(spec, _trim(clause))
        except PromptNotUnderstood as error:
            not_built.append(error.message.split(" The current API:")[0].rstrip("."))
            continue
        if done is not None:
            changes.append(done)
        elif not _names_feature(clause):
            not_built.append(f'"{clause}"')
        if done is None or "can be filtered by" not in done:
            feature_text.append(raw)
    return changes, not_built, ". ".join(feature_text)


def _link_new_resources(spec: ApiSpec, previous: ApiSpec) -> list[str]:
    """New resources get the table's usual links to the rest ("visits" -> patients)."""
    new = {r.name for r in spec.resources if previous.resource(r.name) is None}
    relations = [rel for rel in table_relations(spec.resources) if new & {rel[0], rel[1]}]
    link(spec.resources, relations)
    return [f"linked {child} to {parent}" for child, parent, _ in relations]


def apply_followup_parts(previous: ApiSpec, prompt: str) -> tuple[ApiSpec, list[str], list[str]]:
    """The new spec, what changed and what was asked but not done.

    Every understood part is applied; PromptNotUnderstood (naming what could not be done)
    when nothing changes at all."""
    spec = previous.model_copy(deep=True)
    text = normalize(prompt).lower()
    changes, not_built, feature_text = _read_clauses(spec, text)
    changes += _link_new_resources(spec, previous)
    changes += _apply_features(spec, feature_text)
    if spec == previous:
        if changes:
            raise _fail(f"Nothing to change: {'; '.join(changes)}.", spec)
        if not_built:
            raise _fail(f"Nothing changed. Not done: {'; '.join(not_built)}.", spec)
        raise _fail("That message asks for no change I can make.", spec)
    return spec, changes, not_built


def apply_followup(previous: ApiSpec, prompt: str) -> tuple[ApiSpec, list[str]]:
    """The new spec and what changed; PromptNotUnderstood when nothing applies."""
    spec, changes, _ = apply_followup_parts(previous, prompt)
    return spec, changes
