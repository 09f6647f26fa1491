"""What the offline engine does not build, and how it names it in "Not built: …".

The engine builds CRUD APIs: resources, fields, relations and the features in features.py.
Asks for behaviour (validating chess moves, sending emails, taking payments) are found here,
taken out of the text before it is read (so "validates moves" never becomes a resource) and
reported back by name.
"""

from __future__ import annotations

import re

from apiforge.engine.words import singularize

NOT_BUILT_REASON = "the offline engine builds CRUD APIs; configure an LLM provider for custom logic"

# (pattern over the lowercased text, label). Checked before the capability verbs below.
CONCEPTS: tuple[tuple[str, str], ...] = (
    (r"\b(?:send|sends|sending)(?: out)? (?:an? )?(?:e-?mail |sms |push )?"
     r"(?:e-?mails?|sms|texts?|notifications?|reminders?)\b(?: to [a-z]+)?", "{0}"),
    (r"\b(?:when|whenever|after|once) (?:an? |the )?[a-z]+ (?:is |are |gets? )?[a-z]+(?:ed|s)\b",
     "{0}"),
    (r"\b(?:e-?mail|sms|text message|push|slack) (?:notifications?|alerts?|reminders?)\b",
     "{0}"),
    (r"\b(?:notify|notifies|notifying) [a-z]+\b(?: when [a-z ]+)?", "{0}"),
    (r"\b(?:(?:stripe|paypal)(?: payments?| checkout| integration)?|credit card processing|"
     r"payment processing|process(?:es|ing)? payments|take payments|"
     r"charge (?:the )?(?:customer|card)s?)\b", "payment processing"),
    (r"\b(?:file|image|photo|video|document|avatar) uploads?\b|\bupload(?:s|ing)? "
     r"(?:files|images|photos|videos|documents)\b", "file uploads"),
    (r"\breal[- ]?time\b(?: [a-z]+)?|\bwebsockets?\b|\blive updates\b", "real-time updates"),
    (r"\b(?:user )?(?:sign[- ]?ups?|log[- ]?ins?|registration and login|password reset|"
     r"oauth|social login|sso|single sign[- ]on)\b", "user accounts and login"),
    (r"\brecommendations?(?: engine| system)?\b", "recommendations"),
    (r"\bmachine learning\b|\bml models?\b|\bai[- ]powered\b|\bchat ?bot\b|\bllm\b",
     "machine learning"),
    (r"\banalytics\b|\bdashboards?\b|\bcharts?\b", "analytics and dashboards"),
    (r"\bwebhooks?\b", "webhooks"),
    (r"\brate[- ]limit\w*\b|\bthrottl\w+\b", "rate limiting"),
    (r"\bgraphql\b", "GraphQL"),
    (r"\bcron\b|\bbackground jobs?\b|\bscheduled jobs?\b", "background jobs"),
    (r"\bexport(?:s|ing)? (?:to |as )?(?:csv|excel|pdf)s?\b|\bpdf (?:reports?|invoices?)\b",
     "exports"),
    (r"\bimport(?:s|ing)? (?:from )?(?:csv|excel)\b", "CSV import"),
    (r"\b(?:maps?|geocoding|directions|gps tracking)\b", "maps and geolocation"),
    (r"\bcach(?:e|ing)\b", "caching"),
)  # fmt: skip

# Verbs that ask for behaviour: verb stem -> how the leftover is named ("{obj} validation").
CAPABILITIES: dict[str, str] = {
    "validat": "{obj} validation", "calculat": "{obj} calculation", "comput": "{obj} computation",
    "generat": "{obj} generation", "convert": "{obj} conversion", "translat": "{obj} translation",
    "predict": "{obj} prediction", "recommend": "{obj} recommendations",
    "analy[sz]": "{obj} analysis", "simulat": "{obj} simulation", "detect": "{obj} detection",
    "scrap": "{obj} scraping", "classif": "{obj} classification", "summari[sz]": "{obj} summaries",
    "optimi[sz]": "{obj} optimization", "transcod": "{obj} transcoding",
    "evaluat": "{obj} evaluation", "verif": "{obj} verification", "encrypt": "{obj} encryption",
    "resiz": "{obj} resizing", "compress": "{obj} compression", "transcrib": "{obj} transcription",
    "automat": "{obj} automation",
}  # fmt: skip
# Verbs that are also common plural nouns ("books", "matches"): only after "that/which/to/can".
AMBIGUOUS: dict[str, str] = {
    "estimat": "{obj} estimates", "forecast": "{obj} forecasting", "solv": "{obj} solving",
    "rank": "{obj} ranking", "play": "playing {obj}", "stream": "{obj} streaming",
    "match": "{obj} matching", "suggest": "{obj} suggestions", "approv": "{obj} approval",
    "process": "{obj} processing", "monitor": "{obj} monitoring", "scor": "{obj} scoring",
    "call": "calling {obj}", "fetch": "fetching {obj}", "sync": "{obj} syncing",
    "check": "{obj} checking", "pars": "{obj} parsing",
}  # fmt: skip
_ENDINGS = r"(?:e|es|ed|ing|s|y|ies|ize|ise|izes|ises|izing|ising)?"
_OBJECT = (
    r"\s+(?P<obj>(?:the |their |all |any |a |an )?[a-z]+(?: [a-z]+)?)(?=$|[,.;:!?)]| and | for "
    r"| with | in | of | from | using | based | when | if | between | into | to | on | by | per )"
)


def _verbs(stems: dict[str, str]) -> str:
    return "|".join(f"(?:{stem})" for stem in stems)


_CAPABILITY = re.compile(
    r"\b(?:(?:that|which|to|can|will|should|who)\s+(?:automatically\s+|also\s+)?"
    rf"(?P<amb>{_verbs(AMBIGUOUS)})|(?:that|which|to|and|can|will|should|who)\s+"
    rf"(?:automatically\s+|also\s+)?(?P<verb>{_verbs(CAPABILITIES)})){_ENDINGS}{_OBJECT}"
)


def _capability_label(verb: str, obj: str) -> str:
    obj = re.sub(r"^(?:the|their|all|any|a|an) ", "", obj)
    words = obj.split()
    singular = " ".join([*words[:-1], singularize(words[-1])])
    for stem, template in {**CAPABILITIES, **AMBIGUOUS}.items():
        if re.fullmatch(stem, verb):
            return template.format(obj=singular if "{obj} " in template else obj)
    return f"{verb} {obj}"


_OPENING = re.compile(
    r"^(?:(?:please|build|create|make|write|i need|we need|i want|give me|me|a|an|the|my|our|"
    r"simple|small)\s+)*(?:(?:api|service|app|backend|system|server|endpoint)\s*"
    r"(?:that|which|to|for)?\s*)?$"
)


def opens_with_out_of_scope(text: str) -> bool:
    """Whether the text's main ask is what the engine does not build ("a recommendation
    engine for movies", "an API that translates text")."""
    lowered = text.lower()
    starts = [m.start() for pattern, _ in CONCEPTS for m in re.finditer(pattern, lowered)]
    starts += [m.start("verb") for m in _CAPABILITY.finditer(lowered) if m.group("verb")]
    starts += [m.start("amb") for m in _CAPABILITY.finditer(lowered) if m.group("amb")]
    return any(_OPENING.match(lowered[:start]) for start in starts)


def take_out_of_scope(text: str) -> tuple[str, list[str]]:
    """The lowercased text without its out-of-scope asks, and their labels in order."""
    rest = text.lower()
    labels: list[str] = []
    for pattern, label in CONCEPTS:
        labels += [label.format(found.group(0).strip()) for found in re.finditer(pattern, rest)]
        rest = re.sub(pattern, " ", rest)
    while (match := _CAPABILITY.search(rest)) is not None:
        verb = match.group("verb") or match.group("amb")
        labels.append(_capability_label(verb, match.group("obj")))
        rest = rest[: match.start()] + " " + rest[match.end() :]
    if labels:
        rest = re.sub(r"\s*\b(?:that|which|who|and|to|can|will|should|also)\s*$", "", rest.strip())
    return re.sub(r"[ \t]+", " ", rest), list(dict.fromkeys(labels))
