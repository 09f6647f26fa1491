"""What the API accepts: request bodies, path and query numbers, event ids.

Each constraint is declared in the OpenAPI document and enforced by the same rule here, so a
value the document allows is accepted and one it forbids gets a 4xx in the error shape (never a
500). The prompt's length limit is a setting; ``openapi.py`` writes it into the document.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from apiforge.errors import InputError

# SQLite integers are signed 64-bit: a larger number cannot name anything stored.
MAX_INT = 2**63 - 1
# Line feed, tab and carriage return are how text is typed; other C0/C1 controls and DEL are not.
_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
# What str.strip() removes besides controls, spelled out: regex engines disagree on ``\s``.
_SPACES = "\\t\\n\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
# At least one character that is neither whitespace nor a control, and no control anywhere.
PROMPT_PATTERN = f"^[^{_CONTROLS}]*[^{_SPACES}{_CONTROLS}][^{_CONTROLS}]*$"
# Lone UTF-16 surrogates can arrive through JSON escapes but cannot be stored as text; not in the
# pattern, which the validators of other languages could not read.
_SURROGATE = re.compile("[\\ud800-\\udfff]")
# Event ids are positive and far below 10**18; 18 digits keep them within a 64-bit integer.
# Empty means none was given.
EVENT_ID_PATTERN = "^[0-9]{0,18}$"
# Marks the prompt's schema so the document gets ``maxLength`` from the running settings.
PROMPT_LIMIT_MARK = "x-apiforge-max-prompt-chars"

_PROMPT = re.compile(PROMPT_PATTERN)
_CONTROL = re.compile(f"[{_CONTROLS}]")
_EVENT_ID = re.compile(EVENT_ID_PATTERN)


def prompt_problem(text: str) -> tuple[str, str] | None:
    """The error code and message refusing ``text`` as a prompt, or None if it is one."""
    if (surrogate := _SURROGATE.search(text)) is not None:
        return "invalid_characters", _found("a lone UTF-16 surrogate", surrogate)
    if _PROMPT.fullmatch(text):
        return None
    control = _CONTROL.search(text)
    if control is None:
        return "empty_prompt", "The prompt is empty"
    return "control_characters", (
        _found("a control character", control) + "; only line breaks and tabs are allowed"
    )


def _found(what: str, match: re.Match[str]) -> str:
    code, where = ord(match.group()), match.start() + 1
    return f"The prompt contains {what} (U+{code:04X}) at character {where}"


def _valid_prompt(text: str) -> str:
    problem = prompt_problem(text)
    if problem is not None:
        raise PydanticCustomError(*problem)
    return text


def _valid_name(text: str) -> str:
    if (surrogate := _SURROGATE.search(text)) is not None:
        message = f"The name contains a lone UTF-16 surrogate at character {surrogate.start() + 1}"
        raise PydanticCustomError("invalid_characters", message)
    return text


def check_prompt_length(text: str, limit: int) -> None:
    """Counted on the text as sent, as the document's ``maxLength`` counts it."""
    if len(text) > limit:
        raise InputError(
            f"The prompt is {len(text)} characters; the limit is {limit}", code="prompt_too_long"
        )


_PROMPT_SCHEMA: dict[str, Any] = {"minLength": 1, "pattern": PROMPT_PATTERN}
Prompt = Annotated[
    str,
    AfterValidator(_valid_prompt),
    Field(
        description="What to build or change. Not only whitespace; line breaks and tabs are "
        "the only control characters allowed; lone UTF-16 surrogates are refused",
        json_schema_extra={**_PROMPT_SCHEMA, PROMPT_LIMIT_MARK: True},
    ),
]


class CreateProjectBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: Prompt
    name: Annotated[str, AfterValidator(_valid_name), Field(max_length=200)] | None = Field(
        default=None,
        description="The project's name (default: from the prompt); no lone UTF-16 surrogates",
    )


class PromptBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: Prompt


class GenerateBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: Prompt
    project_id: str | None = Field(
        default=None,
        pattern="^[0-9a-f]{32}$",
        description="Make the next version of this project (its whole id); default: a new project",
    )


VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT, description="A version number (from 1)")]
AgainstNumber = Annotated[
    int | None,
    Query(ge=1, le=MAX_INT, description="The version to compare with (default: the previous)"),
]


def parse_event_id(raw: str | None) -> int | None:
    """The last event id a client saw (header or query), or None when it gave none."""
    if not raw:
        return None
    if not _EVENT_ID.fullmatch(raw):
        message = f"Last-Event-ID must be a whole number of at most 18 digits, got {raw[:40]!r}"
        raise InputError(message, code="bad_event_id")
    return int(raw)
