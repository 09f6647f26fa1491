"""What an LLM is told: the system prompt and the messages for one generation request.

Follow-ups carry the previous version's files. Everything must fit a token budget (estimated
at 4 characters a token: no tokenizer is shipped): files go in whole while they fit; beyond
that the model gets the full file list plus the files most relevant to the request, and if
even the list does not fit, the person is told what to do instead of sending a request the
model will refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apiforge.providers.base import ChatTurn, GenerationRequest
from apiforge.providers.errors import CONTEXT_ADVICE, ProviderContextTooLong

CHARS_PER_TOKEN = 4
DEFAULT_BUDGET_TOKENS = 24_000
# Room kept for the system prompt, the request itself and the most recent chat turns.
_HISTORY_SHARE = 0.15

# No numbered rules: small models copy the shape of their instructions, and a numbered list
# of rules came back as a numbered list (rules echoed, files only named). The one-shot example
# is kept because it was measured to help (BENCHMARKS.md, "System prompt"): with the 0.5B
# model, 6/6 first replies became files with it, 3/6 without it (two runs). It is fenced off
# and named as someone else's reply because its first line leaked into fix rounds.
SYSTEM_PROMPT = """\
You are apiforge, an expert Python engineer. You turn a request into a complete, working \
FastAPI project, and later change that project when asked.

Reply in apiforge's tagged format and nothing else: never JSON, never bare markdown code blocks. \
Start with one or two short lines for the chat saying what you understood. Then write every \
file of the project in a file tag: <file path="RELATIVE/PATH"> on its own line, the whole file \
content exactly as it should be on disk, and </file> on its own line. Write requirements.txt \
first, then app/main.py, then models and routers, then tests (tests/test_*.py using \
fastapi.testclient), then README.md. Paths are relative (no leading "/", no ".."). To remove \
a file, write <delete path="RELATIVE/PATH"/>. End with <summary>one or two sentences on what \
this version does or changed</summary>.

The project must run with `uvicorn app.main:app`, keep data in memory unless asked otherwise, \
validate input with pydantic, return proper status codes (404 for missing items, 422 for bad \
input), and its tests must pass with pytest.

Below, between the two ===== lines, is an example reply to a different request, "a ping \
API". It only shows the shape of a reply: never copy its text, its routes or its lines into \
your reply, and do not write the ===== lines.
===== example reply =====
Understood: one route, GET /ping.
<file path="requirements.txt">
fastapi
uvicorn
httpx
pytest
</file>
<file path="app/__init__.py">
</file>
<file path="app/main.py">
from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
def ping() -> dict[str, str]:
    return {"ping": "pong"}
</file>
<file path="tests/test_ping.py">
from fastapi.testclient import TestClient

from app.main import app


def test_ping() -> None:
    assert TestClient(app).get("/ping").json() == {"ping": "pong"}
</file>
<summary>A ping endpoint with a test.</summary>
===== end of example =====
"""

FOLLOW_UP_RULES = """\
This is a follow-up: the current project files are below. Change only what the request needs.
For a small change to an existing file, use an edit block with one or more sections:
<edit path="RELATIVE/PATH">
<<<<<<< SEARCH
exact existing lines, copied character for character, enough to be unique
=======
the lines that replace them
>>>>>>> REPLACE
</edit>
Rewrite a file whole with <file> when most of it changes, or when it is not shown to you.
Files you do not mention stay as they are.
"""

CONTINUE_PROMPT = """\
Your reply was cut off because it reached the output limit. Continue it exactly from the \
last character you wrote — no preamble, do not repeat anything and do not start over. If you \
were inside a file, go on with that file's content and close it with its tag. The last line \
you wrote was:
{last_line}"""


@dataclass(frozen=True)
class Conversation:
    system: str
    messages: tuple[ChatTurn, ...]


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def build_conversation(
    request: GenerationRequest, *, budget_tokens: int = DEFAULT_BUDGET_TOKENS
) -> Conversation:
    """The system prompt and alternating user/assistant messages for ``request``."""
    system = SYSTEM_PROMPT + (FOLLOW_UP_RULES if request.previous_files else "")
    history_budget = int(budget_tokens * _HISTORY_SHARE)
    files_budget = budget_tokens - estimate_tokens(system + request.prompt) - history_budget
    files_part = render_previous_files(request.previous_files, request.prompt, files_budget)
    turns = _recent_turns(request.history, history_budget)
    final = f"{files_part}Request:\n{request.prompt}" if files_part else request.prompt
    turns.append(ChatTurn(role="user", content=final))
    if request.continuation_of is not None:
        turns.append(ChatTurn(role="assistant", content=request.continuation_of))
        last_line = request.continuation_of.rstrip("\n").rsplit("\n", 1)[-1]
        turns.append(ChatTurn(role="user", content=CONTINUE_PROMPT.format(last_line=last_line)))
    return Conversation(system, _alternate(turns))


def render_previous_files(files: dict[str, str], prompt: str, budget_tokens: int) -> str:
    """The previous version for the model: all files if they fit, else list + relevant ones."""
    if not files:
        return ""
    blocks = {path: f'<file path="{path}">\n{body}</file>\n' for path, body in files.items()}
    whole = "".join(blocks[path] for path in sorted(files))
    if estimate_tokens(whole) <= budget_tokens:
        return f"Current project files:\n{whole}\n"
    listing = "".join(f"- {path} ({len(files[path])} characters)\n" for path in sorted(files))
    remaining = budget_tokens - estimate_tokens(listing) - 50
    if remaining < 0:
        raise ProviderContextTooLong(
            f"This project has too many files ({len(files)}) to send to the model even as a "
            f"list. {CONTEXT_ADVICE}"
        )
    shown: list[str] = []
    for path in rank_by_relevance(files, prompt):
        cost = estimate_tokens(blocks[path])
        if cost <= remaining:
            shown.append(path)
            remaining -= cost
    hidden = len(files) - len(shown)
    return (
        f"The project has {len(files)} files:\n{listing}\nThe {len(shown)} most relevant are "
        f"shown; {hidden} are not (write those whole if you must change them).\n"
        + "".join(blocks[path] for path in sorted(shown))
        + "\n"
    )


_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")
_ENTRY_POINTS = ("app/main.py", "requirements.txt")


def rank_by_relevance(files: dict[str, str], prompt: str) -> list[str]:
    """Paths most likely to need changing first: named in the request, sharing its words."""
    words = set(_WORD.findall(prompt.lower()))
    singular = {word.removesuffix("s") for word in words}

    def score(path: str) -> tuple[float, str]:
        lowered = path.lower()
        stem = lowered.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        value = 10.0 if lowered in prompt.lower() else 0.0
        value += 5.0 if stem in words or stem.removesuffix("s") in singular else 0.0
        body_words = set(_WORD.findall(files[path].lower()))
        value += len(words & body_words) / (1 + len(words))
        value += 1.0 if path in _ENTRY_POINTS else 0.0
        return (-value, path)

    return sorted(files, key=score)


def _recent_turns(history: tuple[ChatTurn, ...], budget_tokens: int) -> list[ChatTurn]:
    kept: list[ChatTurn] = []
    for turn in reversed([t for t in history if t.role != "system"]):
        budget_tokens -= estimate_tokens(turn.content)
        if budget_tokens < 0:
            break
        kept.append(turn)
    kept.reverse()
    while kept and kept[0].role != "user":
        kept.pop(0)
    return kept


def _alternate(turns: list[ChatTurn]) -> tuple[ChatTurn, ...]:
    """Merge neighbours with the same role: Anthropic requires strictly alternating turns."""
    merged: list[ChatTurn] = []
    for turn in turns:
        if merged and merged[-1].role == turn.role:
            joined = f"{merged[-1].content}\n\n{turn.content}"
            merged[-1] = ChatTurn(role=turn.role, content=joined)
        else:
            merged.append(turn)
    return tuple(merged)
