"""Self-correction: a failed validation (or edits that did not apply) sent back to the model.

A fix round is a new attempt within the same version: the model sees the version's current
files and a compact problem list, its reply streams through the same parser and assembler
(``<edit>`` blocks apply to the current files), and the result is validated again. Rounds are
bounded by ``settings.fix_rounds`` and run only with an LLM provider: the offline engine is
deterministic, so asking it again would produce the same project.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

from apiforge.events.types import MessageChunk
from apiforge.generation.plumbing.context import GenerationRuntime
from apiforge.generation.plumbing.files import apply_changes
from apiforge.generation.steps import fix_focus, no_files
from apiforge.generation.steps.outcomes import AttemptOutcome, VersionOutcome
from apiforge.generation.steps.streaming import load_request, stream_previewed
from apiforge.generation.version_run import GENERATING_PROGRESS, VersionRun
from apiforge.providers.base import ChatTurn, GenerationRequest

REPAIR_PROMPT = """\
The project above (the current files, including the changes you just made) did not pass \
validation: apiforge installed it, booted it, called its routes and ran its tests. Fix it with \
the smallest change that makes everything pass: prefer <edit> blocks, rewrite a file whole with \
<file> only when most of it changes, and change a test only when the test itself is wrong. \
Then close with a <summary> of what you fixed.
"""
PROBLEMS_HEADING = "Problems found by validation (`stage: file:line - message`):"
UNUSED_HEADING = (
    "Parts of your last reply could not be used (the files above show what was applied):"
)


def fix_rounds(runtime: GenerationRuntime) -> int:
    """How many fix rounds this version may get: none with the offline engine."""
    if runtime.provider.name == "offline":
        return 0
    return max(0, runtime.settings.fix_rounds)


def needs_fix(outcome: VersionOutcome) -> bool:
    """Whether the version has something a fix round could repair.

    Edits that did not apply are sent back once: in the first round that runs.
    """
    if outcome.status != "generated" or outcome.fix_failed:
        return False
    if not no_files.reply_had_files(outcome):
        return no_files.asks_for_files(outcome)
    if outcome.validation_failed:
        return True
    return bool(outcome.edit_failures) and not outcome.fix_round


def round_title(outcome: VersionOutcome, round_number: int, total: int) -> str:
    """E.g. ``Fixing 2 failing tests — round 1 of 2``."""
    if no_files.asks_for_files(outcome):
        return f"{no_files.NO_FILES_TITLE} — round {round_number} of {total}"
    return f"Fixing {_what(outcome)} — round {round_number} of {total}"


def _what(outcome: VersionOutcome) -> str:
    parts: list[str] = []
    validation = outcome.validation
    failing = validation.failing_tests if validation is not None else 0
    problems = validation.problems if validation is not None else ()
    other = [p for p in problems if not p.startswith("tests:")]
    if failing:
        parts.append(_count(failing, "failing test"))
    if other or (outcome.validation_failed and not failing):
        parts.append(_count(max(1, len(other)), "validation problem"))
    edits = len(outcome.edit_failures) if not outcome.fix_round else 0
    if edits:
        parts.append(_count(edits, "edit that did not apply", "edits that did not apply"))
    return " and ".join(parts) or "the version"


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


def problem_text(outcome: VersionOutcome, files: Mapping[str, str] | None = None) -> str:
    """The repair instruction with the compact problem list, ending with the first problem
    made concrete (file, line, error) when ``files`` lets it name one."""
    sections = [REPAIR_PROMPT]
    problems = outcome.validation.problems if outcome.validation is not None else ()
    if outcome.validation_failed and problems:
        sections.append(PROBLEMS_HEADING + "\n" + "\n".join(f"- {p}" for p in problems))
    if generation := latest_problems(outcome):
        sections.append(UNUSED_HEADING + "\n" + "\n\n".join(generation))
    if outcome.validation_failed and files is not None:
        sections.append(fix_focus.focus_text(tuple(problems), files) or "")
    return "\n\n".join(s for s in sections if s)


def latest_problems(outcome: VersionOutcome) -> list[str]:
    """What went wrong applying the latest reply: the first attempt's, or the last round's."""
    if outcome.fix_round:
        return list(outcome.round_problems)
    return [*outcome.problems, *outcome.edit_failures.values()]


async def repair_request(
    runtime: GenerationRuntime, run: VersionRun, outcome: VersionOutcome
) -> GenerationRequest:
    """The version's original request turned into a repair request over its current files."""
    original, base = await load_request(runtime, run.project_id, run.version_number)
    answer = outcome.summary or outcome.prose.strip() or "(I wrote the files.)"
    files = apply_changes(base, outcome.changes)
    prompt = problem_text(outcome, files)
    if no_files.asks_for_files(outcome):
        # The reply without files is what the model must see it did; never the same request.
        answer, prompt = no_files.quoted_reply(outcome), no_files.request_text()
    history = (
        *original.history,
        ChatTurn(role="user", content=original.prompt),
        ChatTurn(role="assistant", content=answer),
    )
    return GenerationRequest(
        prompt=prompt,
        version_number=run.version_number,
        previous_files=files,
        history=history,
    )


async def run_fix(
    runtime: GenerationRuntime,
    run: VersionRun,
    outcome: VersionOutcome,
    round_number: int,
) -> VersionOutcome:
    """Stream one fix round into the version; the merged outcome is validated next."""
    title = round_title(outcome, round_number, fix_rounds(runtime))
    await run.emitter.emit(MessageChunk(**run.emitter.ids, text=f"\n\n{title}\n\n"))
    await run.open_step("generating", title, GENERATING_PROGRESS)
    request = await repair_request(runtime, run, outcome)
    current = request.previous_files
    live = run.show_live(current, step="generating")
    started = time.time()
    fix = await stream_previewed(
        runtime, run, request, live, planning_done=True, round_number=round_number
    )
    merged = merge_fix(outcome, fix, round_number, title, started)
    if fix.status == "generated" and changed_nothing(fix, current):
        return stopped_repeating(merged, round_number)
    return merged


def changed_nothing(fix: AttemptOutcome, current: dict[str, str]) -> bool:
    """Whether a round's reply had files but every one is what the version already holds: the
    model re-sent its previous answer, so validating or asking again would repeat itself."""
    if fix.files_seen == 0 or fix.edit_failures:
        return False
    return all(current.get(path) == content for path, content in fix.changes.items())


def stopped_repeating(outcome: VersionOutcome, round_number: int) -> VersionOutcome:
    """The version ends with its last validation: no more rounds are burnt on the same files."""
    reason = (
        f"In round {round_number} the model sent the same files again, so no further fix "
        "rounds were run."
    )
    return replace(outcome, fix_failed=True, stop_reason=reason, notes=(*outcome.notes, reason))


def merge_fix(
    outcome: VersionOutcome, fix: AttemptOutcome, round_number: int, title: str, started: float
) -> VersionOutcome:
    """The version after a fix round: its changes on top, usage summed, chat notes kept."""
    merged = replace(
        outcome,
        changes={**outcome.changes, **fix.changes},
        usage=outcome.usage + fix.usage,
        fix_round=round_number,
        round_started=started,
        notes=(*outcome.notes, title, *_said(fix)),
        summary=fix.summary or outcome.summary,
        problems=(*outcome.problems, *fix.problems),
        round_problems=(*fix.problems, *fix.edit_failures.values()),
        # An earlier failed edit stops mattering once the file was written again.
        edit_failures={
            **{p: m for p, m in outcome.edit_failures.items() if p not in fix.changes},
            **fix.edit_failures,
        },
    )
    if fix.status == "cancelled":
        return replace(merged, status="cancelled")
    if fix.status == "failed":
        # The version keeps the files that were validated (not the round's unvalidated ones)
        # and is stored as failing validation, with the reason.
        reason = fix.error.message if fix.error is not None else "no reason given"
        note = f"Round {round_number} could not run: {reason}"
        merged = replace(
            merged, changes=outcome.changes, notes=(*merged.notes, note), fix_failed=True
        )
    if fix.status != "generated":
        return merged
    counted = replace(merged, files_seen=fix.files_seen, last_reply=fix.prose)
    return no_files.counted(counted, outcome.replies_without_files)


def _said(fix: AttemptOutcome) -> list[str]:
    prose = fix.prose.strip()
    return [prose] if prose else []
