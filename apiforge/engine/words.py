"""English word helpers: plural/singular forms and identifiers made from words."""

from __future__ import annotations

import keyword
import re

_IRREGULAR_PLURALS = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "foot": "feet",
    "tooth": "teeth",
    "goose": "geese",
    "ox": "oxen",
    "leaf": "leaves",
    "knife": "knives",
    "life": "lives",
    "wife": "wives",
    "shelf": "shelves",
    "half": "halves",
    "criterion": "criteria",
    "datum": "data",
    "medium": "media",
    "analysis": "analyses",
    "diagnosis": "diagnoses",
    "thesis": "theses",
    "crisis": "crises",
    "menu": "menus",
    "movie": "movies",
    "cookie": "cookies",
    "calorie": "calories",
    "selfie": "selfies",
    "rookie": "rookies",
    "pie": "pies",
    "tie": "ties",
    "zombie": "zombies",
    "brownie": "brownies",
    "quiz": "quizzes",
}
_IRREGULAR_SINGULARS = {plural: singular for singular, plural in _IRREGULAR_PLURALS.items()}
# Words that look plural but are singular, or are the same in both forms.
_INVARIANT = {
    "series",
    "species",
    "news",
    "equipment",
    "information",
    "inventory",
    "feedback",
    "staff",
    "sheep",
    "fish",
    "status",
    "address",
    "bus",
    "campus",
    "virus",
    "class",
    "process",
    "access",
    "business",
    "analysis",
    "basis",
    "gas",
    "canvas",
    "software",
    "metadata",
}


def pluralize(word: str) -> str:
    """The plural of one lowercase English word (the last word of a phrase)."""
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if word in _IRREGULAR_SINGULARS or word in {"series", "species", "sheep", "fish", "news"}:
        return word
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def singularize(word: str) -> str:
    """The singular of one lowercase English word; singular words come back unchanged."""
    if word in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[word]
    if word in _INVARIANT or word in _IRREGULAR_PLURALS:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(sses|xes|zes|ches|shes)$", word) or word[:-2] in _INVARIANT:
        return word[:-2]
    if word.endswith("s") and not re.search(r"(ss|us|is)$", word) and len(word) > 2:
        return word[:-1]
    return word


def is_plural(word: str) -> bool:
    return singularize(word) != word or word in {"series", "species", "sheep", "fish"}


def phrase_plural(phrase: str) -> str:
    """Pluralize the last word of a phrase: "order item" -> "order items"."""
    words = phrase.split()
    return " ".join([*words[:-1], pluralize(words[-1])]) if words else phrase


def phrase_singular(phrase: str) -> str:
    words = phrase.split()
    return " ".join([*words[:-1], singularize(words[-1])]) if words else phrase


def snake(phrase: str) -> str:
    """A safe snake_case identifier: "Cook time (minutes)" -> "cook_time_minutes"."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", phrase.strip())
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    if not text:
        return "value"
    if text[0].isdigit():
        text = "n_" + text
    if keyword.iskeyword(text):
        text += "_value"
    return text


def pascal(identifier: str) -> str:
    return "".join(part.capitalize() for part in identifier.split("_") if part)


def human(identifier: str) -> str:
    return identifier.replace("_", " ")


def article(word: str) -> str:
    if re.match(r"(us|uni|eu|one)", word):
        return "a"
    return "an" if word[:1] in "aeiou" else "a"
