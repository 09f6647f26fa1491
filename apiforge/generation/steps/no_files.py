"""The no-files rule: a reply with no files gets one fix round that asks for them, then stops.

A reply in which the parser found no file at all (no ``<file>``/``<edit>``/``<delete>`` block,
no path line over a fence) cannot be validated — there is nothing to validate — and a repair
prompt about validation problems only makes a model repeat itself. So the next round says
exactly that the reply had no files, quotes the expected shape and asks for the files; a second
reply in a row with no files ends the version failed, the reply's text kept on the ``error``
event for the developer console. No more rounds are spent on it.
"""

from __future__ import annotations

from dataclasses import replace

from apiforge.generation.steps.outcomes import StreamError, VersionOutcome

NO_FILES_MESSAGE = "The model did not produce files in a format apiforge understands."
NO_FILES_TITLE = "Asking the model for the files"
# The most a no-files round quotes back of the reply it complains about (the model's own text).
_QUOTED_REPLY_CHARS = 1500

# Placeholders, not runnable code: the 0.5B model answered a shape with real lines
# (``app = FastAPI()``) by sending exactly those lines back, an app with no routes.
EXPECTED_SHAPE = """\
<file path="requirements.txt">
(each requirement on its own line)
</file>
<file path="app/main.py">
(the whole content of app/main.py)
</file>"""

NO_FILES_PROMPT = f"""\
Your last reply contained no files: apiforge found no <file path="..."> block in it, so \
nothing could be written or run. Reply again with the complete files of the project for the \
request above, each one in exactly this shape (the path in the tag, the whole content in place \
of the text in brackets, the closing tag on its own line):

{EXPECTED_SHAPE}

Write the files now, starting with requirements.txt and app/main.py. Do not describe them and \
do not repeat these instructions."""


def reply_had_files(outcome: VersionOutcome) -> bool:
    """Whether the latest reply (first attempt or last fix round) held any file block."""
    return outcome.files_seen > 0


def validatable(outcome: VersionOutcome) -> bool:
    """Validation runs on a generated reply with files; a reply without files has nothing new."""
    return outcome.status == "generated" and reply_had_files(outcome)


def asks_for_files(outcome: VersionOutcome) -> bool:
    """Whether the next fix round is the one that asks for the files."""
    return outcome.status == "generated" and outcome.replies_without_files == 1


def gave_up(outcome: VersionOutcome) -> bool:
    """Two replies in a row without files (or one, when no round may ask again)."""
    if outcome.status != "generated" or outcome.fix_failed or reply_had_files(outcome):
        return False
    return outcome.replies_without_files >= 2 or not outcome.changes


def counted(outcome: VersionOutcome, previous_without: int = 0) -> VersionOutcome:
    """The outcome with its run of consecutive replies without files brought up to date."""
    without = 0 if reply_had_files(outcome) else previous_without + 1
    return replace(outcome, replies_without_files=without)


def error(outcome: VersionOutcome) -> StreamError:
    """The version's error: the fixed message, and the reply's text for the developer console."""
    reply = outcome.last_reply or outcome.prose
    return StreamError(code="no_files", message=NO_FILES_MESSAGE, raw_reply=reply)


def request_text() -> str:
    return NO_FILES_PROMPT


def quoted_reply(outcome: VersionOutcome) -> str:
    """The reply without files, as the assistant turn the no-files round answers."""
    reply = (outcome.last_reply or outcome.prose).strip()
    if len(reply) > _QUOTED_REPLY_CHARS:
        reply = reply[:_QUOTED_REPLY_CHARS] + "\n[…]"
    return reply or "(an empty reply)"
