"""Reading sentences into resources, field phrases and relations (shared by both parsers)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from apiforge.engine.domain import lookup
from apiforge.engine.knowledge import table_direction
from apiforge.engine.nouns import Noun, resource_noun
from apiforge.engine.text import CHOICE_WORDS, split_top_level
from apiforge.engine.words import phrase_plural

# A noun phrase starts at a word boundary: without it "and appointments" also matched as the
# noun "nd appointments" one letter in.
_WORD = (
    r"\b(?!(?:and|or|with|but|that|which|who|to|of|in|on|at|by|from|as|for|has|have|is|are|"
    r"belongs?)\b)[a-z][a-z0-9_-]*"
)
NP = rf"({_WORD}(?: {_WORD})?)"
DET = r"(?:\b(?:each|every|a|an|the|one|all|any|our)\s+)?"
HAS = (
    r"(?:should |must |will |can |shall |need to |needs to |)"
    r"(?:has|have|contains?|includes?|stores?|needs?|requires?|consists? of|is made of|"
    r"gets?|keeps?|holds?|tracks?|carr(?:y|ies)|comes? with|records?)"
)
_HAS_FIELDS = re.compile(
    rf"^{DET}{NP}\s+{HAS}(?!\s+(?:with|for|api|app|that|which)\b)(?: the following| these| such)?"
    r"(?: (?:fields|attributes|properties|columns|data|info|details))?"
    r"(?: like| such as| including)?"
    r"\s*:?\s+(.+)$"
)
_WITH_FIELDS = re.compile(
    rf"^{DET}{NP}\s*(?:\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*)?(?::|\bwith\b(?: fields| attributes)?"
    r"|\bthat (?:have|has|store)\b|\bhaving\b|\bcontaining\b)\s*:?\s*(.*)$"
)
_PARENS = re.compile(rf"^{DET}{NP}\s*\((.*)\)$")
_FOR_EACH = re.compile(
    rf"^(?:for|on) (?:each|every|the|all)?\s*{NP},?\s+(?:we |i |you )?"
    rf"(?:need|want|store|keep|track|record|save)s?(?: to store| to keep)?\s+(.+)$"
)
RELATIONS = (
    # (pattern, child group, parent group, default required)
    (rf"{DET}{NP} (?:belongs?|belonging) to {DET}{NP}", 1, 2),
    (rf"{DET}{NP} (?:has|have|can have|contains?|includes?) (?:many|multiple|several|"
     rf"(?:a )?lots of|zero or more|one or more|a number of|some|a list of) {NP}", 2, 1),
    (rf"{DET}{NP} (?:is|are|can be|may be|must be) (?:assigned|linked|attached|tied|related|"
     rf"connected) to {DET}{NP}", 1, 2),
    (rf"{DET}{NP} (?:is|are|can be|must be) (?:written|owned|created|made|placed|posted|"
     rf"authored|submitted|booked|taught|led|managed|run|hosted|organi[sz]ed|given|published|sold|"
     rf"supplied|provided|treated|handled|assigned) by {DET}{NP}", 1, 2),
    (rf"{DET}{NP} (?:is|are) (?:in|inside|part of|under) {DET}{NP}", 1, 2),
)  # fmt: skip


_HAS_ONE = re.compile(rf"^{DET}{NP} (?:has|have|needs?|should have|must have) (?:an?|one) {NP}$")
_JOIN = re.compile(
    rf"{DET}{NP},? (?:(?:that|which|to) )?(?:linking|links?|connecting|connects?|joining|joins?|"
    rf"between) {DET}{NP} (?:and|with|to) {DET}{NP}"
)
_MANY_TO_MANY = re.compile(
    rf"(?:{NP} and {NP} (?:are|have an?) many[- ]to[- ]many\b(?: relationship| relation)?|"
    rf"many[- ]to[- ]many (?:relationship |relation |link )?between {NP} and {NP})"
)


@dataclass
class Draft:
    noun: Noun
    phrases: list[str] = field(default_factory=list)
    extends_defaults: bool = False  # the phrases add to the table's default fields
    marks: list[str] = field(default_factory=list)  # "can be marked done": added to any fields


@dataclass
class Reading:
    """What the sentences said so far, in the order they said it."""

    drafts: dict[str, Draft] = field(default_factory=dict)
    relations: list[tuple[str, str, bool]] = field(default_factory=list)  # child, parent, req.
    subject: Noun | None = None  # "a todo API": the resource when no other is named
    leftovers: list[str] = field(default_factory=list)  # asks that will not be built

    def add(self, noun: Noun, phrases: Iterable[str] = ()) -> Draft:
        draft = self.drafts.setdefault(noun.name, Draft(noun))
        draft.phrases += list(phrases)
        return draft


def _relate(reading: Reading, child: Noun, parent: Noun, required: bool = True) -> None:
    reading.add(parent)
    reading.add(child)
    reading.relations.append((child.name, parent.name, required))


def _join_relations(sentence: str, reading: Reading) -> str:
    """ "enrollments linking students and courses", "students and courses are many-to-many"."""
    rest = sentence
    for match in _JOIN.finditer(sentence):
        nouns = [resource_noun(match.group(index)) for index in (1, 2, 3)]
        if all(nouns) and len({n.name for n in nouns if n}) == 3:
            child, first, second = (n for n in nouns if n is not None)
            _relate(reading, child, first)
            _relate(reading, child, second)
            said = match.group(0) + _join_fields(sentence[match.end() :], child, reading)
            rest = rest.replace(said, " ")
    for match in _MANY_TO_MANY.finditer(sentence):
        one = resource_noun(match.group(1) or match.group(3))
        two = resource_noun(match.group(2) or match.group(4))
        if one is not None and two is not None and one.name != two.name:
            first, second = one, two
            words = f"{first.words} {second.words}"
            child = Noun(phrase_plural(words).replace(" ", "_"), words.replace(" ", "_"))
            _relate(reading, child, first)
            _relate(reading, child, second)
            rest = rest.replace(match.group(0), " ")
    return rest


_JOIN_FIELDS = re.compile(r"^\s*,?\s*(?:at|on|with|having|and has|and have)\b.*$")
_FIELD_OPENER = re.compile(r"^(?:at|on|with|having|and has|and have)\s+")


def _join_fields(tail: str, child: Noun, reading: Reading) -> str:
    """ "appointments that link a patient to a doctor at a start time, with a status (…)":
    what follows the link is the join resource's fields. Returns the text read."""
    if not _JOIN_FIELDS.match(tail):
        return ""
    phrases = [_FIELD_OPENER.sub("", item) for item in split_top_level(tail)]
    reading.add(child, [phrase for phrase in phrases if phrase])
    return tail


def _has_one(sentence: str, reading: Reading) -> str:
    """ "each book has an author": a link when the author is a known noun."""
    match = _HAS_ONE.match(sentence.strip(" ,."))
    if not match:
        return sentence
    child, parent = resource_noun(match.group(1)), resource_noun(match.group(2))
    if child is None or parent is None or lookup(parent.singular) is None:
        return sentence
    if child.name == parent.name:
        return sentence
    if table_direction(child.singular, parent.singular):
        _relate(reading, child, parent)
    else:
        _relate(reading, parent, child)
    return ""


# The verbs of "X linked to Y" (each reader adds its own "belong…" forms): one list, so a
# first prompt and a follow-up read the same phrases as links.
LINK_VERB = r"(?:linked|tied|connected|attached|related)"

# The child's fields come in brackets or after "with" ("reviews with a comment, linked to
# books and movies"); a "with" list stops at a comma so it never spans two resources.
_LINKED_TO = re.compile(
    rf"{NP}(?:(?:\s*(\([^()]*(?:\([^()]*\)[^()]*)*\))|\s+(with [^(),]+?)),?)?\s+"
    rf"(?:(?:which|that) (?:are|is) |each )?"
    rf"(?:{LINK_VERB}|belonging) to {DET}{NP}"
    rf"(?:,? (?:and|&) {DET}{NP})?"
)


def _linked_to(sentence: str, reading: Reading) -> str:
    """ "appointments (start time) linked to patients and doctors": links, and the resource
    with its fields stays in the sentence for the item reader."""
    rest = sentence
    for match in _LINKED_TO.finditer(sentence):
        child = resource_noun(match.group(1))
        parents = [resource_noun(words) for words in match.group(4, 5) if words]
        if child is None or None in parents:
            continue
        for parent in parents:
            if parent is not None and parent.name != child.name:
                _relate(reading, child, parent)
        kept = f"{match.group(1)} {match.group(2) or match.group(3) or ''}".strip()
        rest = rest.replace(match.group(0), kept)
    return rest


def find_relations(sentence: str, reading: Reading) -> str:
    """Record the relations a sentence states; returns the sentence without them."""
    rest = _linked_to(_has_one(_join_relations(sentence, reading), reading), reading)
    sentence = rest
    for pattern, child_group, parent_group in RELATIONS:
        for match in re.finditer(pattern, sentence):
            child = resource_noun(match.group(child_group))
            parent = resource_noun(match.group(parent_group))
            if child is None or parent is None or child.name == parent.name:
                continue
            optional = bool(re.search(r"\b(can|may|optionally|might)\b", match.group(0)))
            reading.add(parent)
            reading.add(child)
            reading.relations.append((child.name, parent.name, not optional))
            rest = rest.replace(match.group(0), " ")
    return rest.strip(" ,.")


_MARKED = re.compile(
    rf"^{DET}{NP} (?:can|could|may|should|must|will)(?: also)? be (?:marked|flagged|set)"
    r"(?: as)? (?:an? )?([a-z][a-z -]*?)(?: or (?:not|un)[a-z -]*)?$"
)


def marked_flag(sentence: str) -> tuple[Noun, str] | None:
    """ "tasks can be marked done" -> (tasks, "done flag"): the noun and its boolean field."""
    marked = _MARKED.match(sentence)
    noun = resource_noun(marked.group(1)) if marked else None
    if marked is None or noun is None:
        return None
    return noun, f"{marked.group(2)} flag"


def read_mark(sentence: str, reading: Reading) -> bool:
    """ "tasks can be marked done": a boolean field on top of the fields said elsewhere."""
    if (found := marked_flag(sentence)) is None:
        return False
    reading.add(found[0]).marks.append(found[1])
    return True


# "posts status can be draft, published or archived" (normalised to "posts status (draft, …)"),
# or a bare "status (…)" said of the only resource so far.
_OWNED_CHOICE = re.compile(rf"^(?:{DET}{NP}(?:'s)? )?((?:{CHOICE_WORDS}) \([^()]+\))$")


def owned_choice(sentence: str) -> tuple[str | None, str] | None:
    """ "posts status (draft, live)" -> ("posts", "status (draft, live)"); no owner: None."""
    match = _OWNED_CHOICE.match(sentence.strip(" ,."))
    return (match.group(1), match.group(2)) if match else None


def read_owned_choice(sentence: str, reading: Reading) -> bool:
    """An enum field on the resource named before it, or on the only resource read so far."""
    found = owned_choice(sentence)
    if found is None:
        return False
    words, phrase = found
    if words is not None and (noun := resource_noun(words)) is not None:
        draft = reading.add(noun)
    elif words is None and len(reading.drafts) == 1:
        draft = next(iter(reading.drafts.values()))
    else:
        return False
    draft.marks.append(phrase)
    return True


def field_statement(sentence: str) -> tuple[Noun, list[str]] | None:
    """ "Each recipe has a name, …" / "books: title, …" / "For each member, store …"."""
    for pattern in (_FOR_EACH, _HAS_FIELDS):
        if match := pattern.match(sentence):
            noun = resource_noun(match.group(1))
            if noun is not None:
                return noun, split_top_level(match.group(2))
    return None


def resource_items(text: str, unused: list[str] | None = None) -> list[tuple[Noun, list[str]]]:
    """ "books (title, price) and members with name and email" -> resources with phrases.

    Items that are neither go to ``unused`` when given.
    """
    found: list[tuple[Noun, list[str]]] = []
    for item in split_top_level(text):
        entry = _resource_item(item)
        in_fields = bool(found) and _opens_field_list(text, found[-1][0])
        if entry is not None and in_fields and entry[0].name == entry[0].singular:
            entry = None  # "pets: name, species (dog, cat)": a field, not a resource
        if entry is not None and not (entry[1] == [] and in_fields):
            found.append(entry)
        elif found and _opens_field_list(text, found[-1][0]):
            found[-1][1].append(item)
        elif unused is not None:
            unused.append(item)
    return found


def _opens_field_list(text: str, noun: Noun) -> bool:
    words = re.escape(noun.name.replace("_", " "))
    return re.search(rf"\b{words}\s*(:|with\b|having\b|that\b)", text) is not None


def _only_hints(text: str) -> bool:
    return (
        re.fullmatch(r"\s*(optional|required|mandatory|nullable|[a-z]+ only)\s*", text) is not None
    )


def _resource_item(item: str) -> tuple[Noun, list[str]] | None:
    if match := _PARENS.match(item):
        noun = resource_noun(match.group(1), plural_only=True)
        if noun is not None and not _only_hints(match.group(2)):
            return noun, split_top_level(match.group(2))
    if match := _WITH_FIELDS.match(item):
        noun = resource_noun(match.group(1))
        if noun is not None:
            inner = split_top_level(match.group(2) or "")
            return noun, inner + split_top_level(match.group(3) or "")
    noun = resource_noun(item, plural_only=True)
    return (noun, []) if noun is not None else None
