"""The offline engine's entry points: prompt (+ previous files) -> spec -> project files."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from apiforge.engine.describe import describe, describe_built
from apiforge.engine.followup import apply_followup_parts
from apiforge.engine.prompt import EXAMPLE, build_spec, read_prompt
from apiforge.engine.render.project import render_project
from apiforge.engine.scope import NOT_BUILT_REASON, opens_with_out_of_scope
from apiforge.engine.spec import SPEC_PATH, ApiSpec
from apiforge.errors import PromptNotUnderstood


@dataclass(frozen=True)
class EngineResult:
    spec: ApiSpec
    understood: str  # the "Understood: …" line
    plan: str
    files: dict[str, str]  # created or modified files, in streaming order
    deleted: list[str]
    summary: str
    not_built: list[str] = field(default_factory=list)  # asks the engine did not build


def not_built_line(not_built: list[str]) -> str:
    """ "Not built: move validation (the offline engine builds CRUD APIs; …)." or ""."""
    if not not_built:
        return ""
    return f"Not built: {', '.join(not_built)} ({NOT_BUILT_REASON})."


def read_first_prompt(prompt: str) -> tuple[ApiSpec, list[str]]:
    """The spec a first prompt asks for and what it asks for that will not be built."""
    reading, wanted, refused = read_prompt(prompt)
    if not reading.drafts or opens_with_out_of_scope(prompt):
        raise PromptNotUnderstood(_nothing_to_build(reading.leftovers))
    if clash := wanted & refused:
        raise PromptNotUnderstood(
            f"The request both asks for and refuses {', '.join(sorted(clash))}; "
            f"say which you want. {EXAMPLE}"
        )
    return build_spec(prompt, reading, wanted), reading.leftovers


def _nothing_to_build(leftovers: list[str]) -> str:
    asked = [item for item in leftovers if not item.startswith('"')]
    if not asked:
        return (
            "I could not find any resources to build an API for in that message. "
            f"Name the things the API stores and their fields. {EXAMPLE}"
        )
    return (
        f"Not built: {', '.join(asked)}. The offline engine builds CRUD APIs (resources, "
        "fields, relations, pagination, auth…), not custom logic: configure an LLM provider "
        "for that, or describe the data the API should store. "
        'For example: "a chess API with games (white player, black player, result) and moves '
        '(notation, played at); each move belongs to a game".'
    )


def parse_prompt(prompt: str) -> ApiSpec:
    """The spec a first prompt asks for; PromptNotUnderstood when it asks for no API."""
    return read_first_prompt(prompt)[0]


def previous_spec(previous_files: dict[str, str]) -> ApiSpec | None:
    text = previous_files.get(SPEC_PATH)
    if not text:
        return None
    try:
        return ApiSpec.from_json(text)
    except ValidationError as error:
        raise PromptNotUnderstood(
            f"The previous version's {SPEC_PATH} is not a spec the offline engine can read "
            f"({error.error_count()} problems), so it cannot change that version."
        ) from error


def generate(prompt: str, previous_files: dict[str, str] | None = None) -> EngineResult:
    """Everything one version needs; raises PromptNotUnderstood before any output."""
    previous = previous_spec(previous_files or {})
    if previous is None:
        spec, not_built = read_first_prompt(prompt)
        files = render_project(spec)
        summary = f"Generated {spec.title}: {describe_built(spec)}."
        return _result(spec, f"Plan: {len(files)} files.", files, [], summary, not_built)
    spec, changes, not_built = apply_followup_parts(previous, prompt)
    new_files = render_project(spec)
    old = previous_files or {}
    changed = {path: text for path, text in new_files.items() if old.get(path) != text}
    deleted = sorted(path for path in old if path not in new_files)
    plan = f"Plan: {'; '.join(changes)} — {len(changed)} files to write, {len(deleted)} to delete."
    summary = (("; ".join(changes)).capitalize() + ".").replace("..", ".")
    return _result(spec, plan, changed, deleted, summary, not_built)


def _result(
    spec: ApiSpec,
    plan: str,
    files: dict[str, str],
    deleted: list[str],
    summary: str,
    not_built: list[str],
) -> EngineResult:
    """The chat's "Understood:" line and the summary both end with what was not built."""
    if line := not_built_line(not_built):
        understood, summary = f"{describe(spec)}\n{line}", f"{summary} {line}"
    else:
        understood = describe(spec)
    return EngineResult(spec, understood, plan, files, deleted, summary, not_built)
