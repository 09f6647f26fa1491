"""Prompt text handling: normalising, sentences, top-level lists, negation."""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_NEGATION = re.compile(
    r"\b(no|not|without|don'?t|do not|doesn'?t|never|skip|remove|drop|disable|turn off|"
    r"get rid of|no need for|stop|exclude|instead of|rather than|no longer|don'?t need)\b[^.,;]*$"
)


def normalize(prompt: str) -> str:
    text = prompt.replace("\r\n", "\n").replace("\r", "\n").replace("’", "'")
    text = re.sub(r"[“”]", '"', text)
    text = text.replace("—", " - ").replace("–", " - ")
    text = _BOOLEAN_PAIR.sub(r"\1\2 be marked as \3", text)
    text = _enums_to_parens(text)
    text = _NAMED_CHOICES.sub(_named_choices_to_parens, text)
    return text


# "books can be flagged as featured or not featured", "orders can be paid or unpaid": a yes/no
# flag, not a choice of two values, so it reads as "can be marked as featured" before any
# "can be a, b or c" turns into an enum.
_BOOLEAN_PAIR = re.compile(
    r"\b(can|could|may|should|must|will)((?: also)?) be (?:(?:marked|flagged|set|made) )?"
    r"(?:as )?(?:an? )?([a-z][\w-]*(?: [a-z][\w-]*)?) or (?:(?:not |non-?|un|in)\3\b|not\b)",
    re.IGNORECASE,
)

# "a status of scheduled, cancelled or completed", "(…, status: open, closed or won)": the
# words that name a choice; a field list ("tasks: title, notes or tags") never ends a bracket.
CHOICE_WORDS = (
    r"status|state|type|kind|role|priority|level|stage|category|mode|tier|phase|size|gender|"
    r"visibility|condition"
)
_NAMED_CHOICES = re.compile(
    rf"\b({CHOICE_WORDS})(?: of|:)\s*((?:[\w-]+,\s*)+[\w-]+,? or [\w-]+)\b"
    r"|\b([a-z_]+):\s*((?:[\w-]+,\s*)+[\w-]+,? or [\w-]+)(?=\s*\))",
    re.IGNORECASE,
)


def _as_parens(values: str) -> str:
    """ "draft, live or gone" -> "(draft, live, gone)"."""
    choices = re.split(r",\s*|\s+or\s+|\s+and\s+", values)
    return "(" + ", ".join(choice for choice in choices if choice) + ")"


def _named_choices_to_parens(match: re.Match[str]) -> str:
    name, values = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return f"{name} {_as_parens(values)}"


def _enums_to_parens(text: str) -> str:
    """ "status which is one of draft, live or gone" -> "status (draft, live, gone)"."""
    pattern = re.compile(
        r"[ ,]*(?:\b(?:(?:which|that) (?:is|are|can be|could be|must be|should be)|that's|"
        r"\b(?:is|can be|must be))(?: one of| either)?|\bone of|\beither)\b\s*:?\s*"
        r"((?:[\w-]+,? )+or [\w-]+)",
        re.IGNORECASE,
    )

    return pattern.sub(lambda match: " " + _as_parens(match.group(1)), text)


def split_top_level(text: str, separators: str = r",|;|\band\b|&|\bplus\b") -> list[str]:
    """Split on separators that are not inside parentheses."""
    parts, depth, start = [], 0, 0
    boundary = re.compile(separators)
    index = 0
    while index < len(text):
        char = text[index]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and (match := boundary.match(text, index)) and match.end() > index:
            parts.append(text[start:index])
            start = index = match.end()
            continue
        index += 1
    parts.append(text[start:])
    return [part.strip(" .:\n\t") for part in parts if part.strip(" .:\n\t")]


def sentences(text: str) -> list[str]:
    """Sentences and bullet items; a "Heading:" line collects the bullets under it."""
    result: list[str] = []
    heading: str | None = None
    for raw_line in text.split("\n"):
        is_bullet = bool(_BULLET.match(raw_line))
        line = _BULLET.sub("", raw_line).strip()
        if not line:
            continue
        if heading is not None and is_bullet and ":" not in line and not _looks_like_sentence(line):
            result[-1] += (", " if not result[-1].endswith(":") else " ") + line
            continue
        heading = None
        for sentence in split_top_level(line, r"(?<=[.!?;])\s+|(?<=[a-z)])\.$"):
            result.append(sentence)
        if line.endswith(":"):
            heading = line
            result[-1] = line
    return [s.strip() for s in result if s.strip(" .:")]


def _looks_like_sentence(line: str) -> bool:
    return len(line.split()) > 6 or bool(re.search(r"\b(has|have|belongs?|should|must)\b", line))


def negated(text: str, start: int) -> bool:
    """Whether the words before ``start`` (in the same clause) negate what follows."""
    before = text[max(0, start - 40) : start].lower()
    return _NEGATION.search(before) is not None
