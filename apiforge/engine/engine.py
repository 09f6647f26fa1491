"""The offline engine's entry points: prompt (+ previous files) -> spec -> project files."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from apiforge.engine.describe import describe
from apiforge.engine.followup import apply_followup
from apiforge.engine.prompt import EXAMPLE, build_spec, read_prompt
from apiforge.engine.render.project import render_project
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


def parse_prompt(prompt: str) -> ApiSpec:
    """The spec a first prompt asks for; PromptNotUnderstood when it asks for no API."""
    reading, wanted, refused = read_prompt(prompt)
    if not reading.drafts:
        raise PromptNotUnderstood(
            "I could not find any resources to build an API for in that message. "
            f"Name the things the API stores and their fields. {EXAMPLE}"
        )
    if clash := wanted & refused:
        raise PromptNotUnderstood(
            f"The request both asks for and refuses {', '.join(sorted(clash))}; "
            f"say which you want. {EXAMPLE}"
        )
    return build_spec(prompt, reading, wanted)


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
        spec = parse_prompt(prompt)
        files = render_project(spec)
        resources = ", ".join(resource.label for resource in spec.resources)
        summary = f"Generated {spec.title} with {resources}."
        return EngineResult(spec, describe(spec), f"Plan: {len(files)} files.", files, [], summary)
    spec, changes = apply_followup(previous, prompt)
    new_files = render_project(spec)
    old = previous_files or {}
    changed = {path: text for path, text in new_files.items() if old.get(path) != text}
    deleted = sorted(path for path in old if path not in new_files)
    plan = f"Plan: {'; '.join(changes)} — {len(changed)} files to write, {len(deleted)} to delete."
    summary = (("; ".join(changes)).capitalize() + ".").replace("..", ".")
    return EngineResult(spec, describe(spec), plan, changed, deleted, summary)
