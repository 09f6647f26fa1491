"""Real-model benchmark: a fixed set of prompts through apiforge with the local 0.5B model.

A real apiforge server (OpenAI provider → llama.cpp serving Qwen2.5-Coder-0.5B-Instruct Q4_K_M,
sandbox validation, fix rounds) on loopback. For each prompt it prints: replies that became
files, whether the version validated on the first try or after fix rounds, files the follow-up
modified (edits applied or rewrites), time to the first ``code:chunk``, completion tokens per
second of model time, and total time. Tokens are the provider's reported usage (llama.cpp sends
``usage`` with ``stream_options.include_usage``).

Every raw reply, with the messages that asked for it, is kept as JSON under
``BENCH_LLM_RECORD_DIR`` (a recording proxy sits between apiforge and the model;
``bench/llm_replies.py DIR`` lists the replies whose code did not become files).
``BENCH_LLM_PROMPTS=2,3`` runs only those first prompts (and their follow-ups).

Run: ``make bench-llm``, or ``.venv-dev/bin/python bench/bench_llm.py`` after
``scripts/llm.sh install``; ``APIFORGE_LLM_BASE_URL`` reuses a model server already running.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from llm_recorder import recording  # noqa: E402

from tests.llm.local_model import local_model  # noqa: E402
from tests.server_process import ServerProcess  # noqa: E402
from tests.sse_reader import Frame, read_until_terminal  # noqa: E402

# None of them is the system prompt's own example (a ping API), which the model can copy.
FIRST_PROMPTS = [
    "a todo API with tasks (title, done, due date)",
    "a notes API: notes with a title and a body, and search by word",
    'a greeting API: GET /hello/{name} returns {"message": "Hello, <name>"}',
    "a counter API: POST /increment adds one, GET /count returns the count",
]
# (index of the first prompt whose project it changes, the follow-up)
FOLLOW_UPS = [
    (2, 'add GET /health that returns {"status": "ok"}'),
    (3, "add POST /reset that sets the count back to 0"),
]
MAX_OUTPUT_TOKENS = int(os.environ.get("BENCH_LLM_MAX_TOKENS", "1500"))
FIX_ROUNDS = int(os.environ.get("BENCH_LLM_FIX_ROUNDS", "2"))
# Which first prompts to run ("0,2"; default all); a follow-up runs when its project does.
ONLY = os.environ.get("BENCH_LLM_PROMPTS", "")
# Every raw model reply (and the messages sent) is kept here, one JSON file per reply.
RECORD_DIR = Path(
    os.environ.get("BENCH_LLM_RECORD_DIR") or f"/tmp/apiforge-bench-llm-{time.strftime('%H%M%S')}"
)


@dataclass
class Result:
    prompt: str
    replies: int
    replies_with_files: int
    first_try: bool
    validated: bool
    modified: int
    first_chunk_s: float | None
    completion_tokens: int
    model_s: float
    total_s: float
    ending: str
    leaks: int = 0
    error: str | None = None

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.model_s if self.model_s > 0 else 0.0


def replies(events: list[Frame]) -> tuple[int, int]:
    """(replies, replies that produced at least one file): a fix round starts a new reply."""
    count, with_files, has_files = 1, 0, False
    for frame in events:
        if frame.event == "step:start" and " — round " in frame.data["message"]:
            count, with_files, has_files = count + 1, with_files + has_files, False
        elif frame.event == "file:generating":
            has_files = True
    return count, with_files + has_files


def model_seconds(events: list[Frame], started: float, ended: float) -> float:
    """Wall time minus the time spent validating: the time the model was generating."""
    validating, opened = 0.0, None
    for frame in events:
        if frame.event == "validation:start":
            opened = frame.data["ts"]
        elif frame.event == "validation:complete" and opened is not None:
            validating, opened = validating + frame.data["ts"] - opened, None
    return ended - started - validating


# Text of the system prompt's example ("a ping API") that no bench prompt asks for.
EXAMPLE_MARKERS = ("GET /ping", "/ping", "ping endpoint", "test_ping")


def example_leaks(events: list[Frame]) -> int:
    """Replies (first + fix rounds) whose chat text or code copies the system prompt's example."""
    texts = [""]
    for frame in events:
        if frame.event == "step:start" and " — round " in frame.data["message"]:
            texts.append("")
        elif frame.event == "message:chunk":
            texts[-1] += frame.data["text"]
        elif frame.event == "code:chunk":
            texts[-1] += frame.data["chunk"]
    return sum(any(marker in text for marker in EXAMPLE_MARKERS) for text in texts)


def summarize(prompt: str, events: list[Frame], started: float) -> Result:
    end = events[-1]
    ended = end.data["ts"]
    validations = [f.data["ok"] for f in events if f.event == "validation:complete"]
    chunks = [f.data["ts"] for f in events if f.event == "code:chunk"]
    usage = end.data.get("usage") or {}
    count, with_files = replies(events)
    modified = sum(
        1 for f in events if f.event == "file:complete" and f.data["operation"] == "modified"
    )
    complete = end.event == "version:complete" and end.data["status"] == "complete"
    return Result(
        prompt=prompt,
        replies=count,
        replies_with_files=with_files,
        first_try=bool(validations) and validations[0],
        validated=complete,
        modified=modified,
        first_chunk_s=chunks[0] - started if chunks else None,
        completion_tokens=int(usage.get("completion_tokens", 0)),
        model_s=model_seconds(events, started, ended),
        total_s=ended - started,
        ending=end.data.get("code") or end.data.get("status") or end.event,
        leaks=example_leaks(events),
    )


async def run_prompt(
    client: httpx.AsyncClient, url: str, prompt: str, project: tuple[str, int] | None
) -> tuple[Result, str, int]:
    """One version; returns its result, the project id and the last event id."""
    started = time.time()
    if project is None:
        response = await client.post("/api/projects", json={"prompt": prompt})
        project_id, number, after = response.json()["project"]["id"], 1, None
    else:
        project_id, after = project
        response = await client.post(
            f"/api/projects/{project_id}/versions", json={"prompt": prompt}
        )
        number = response.json()["version"]["number"]
    response.raise_for_status()
    events = await read_until_terminal(url, project_id, number, last_event_id=after)
    mine = [f for f in events if f.data.get("version_number") == number]
    result = summarize(prompt, mine, started)
    version = await client.get(f"/api/projects/{project_id}/versions/{number}")
    result.error = version.json()["version"]["error"]
    return result, project_id, events[-1].id


def print_table(results: list[Result]) -> None:
    print(
        "| prompt | replies with files | validated first try | validated (after fix rounds) "
        "| files modified | example leaks | first code:chunk | tokens/s | completion tokens "
        "| total | ending |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        first = f"{r.first_chunk_s:.1f} s" if r.first_chunk_s is not None else "—"
        print(
            f"| {r.prompt} | {r.replies_with_files}/{r.replies} | {'yes' if r.first_try else 'no'} "
            f"| {'yes' if r.validated else 'no'} | {r.modified} | {r.leaks} | {first} "
            f"| {r.tokens_per_s:.1f} | {r.completion_tokens} | {r.total_s:.0f} s | {r.ending} |"
        )
    tokens = sum(r.completion_tokens for r in results)
    model_s = sum(r.model_s for r in results)
    print(
        f"| **total** | {sum(r.replies_with_files for r in results)}/"
        f"{sum(r.replies for r in results)} | {sum(r.first_try for r in results)}/{len(results)} "
        f"| {sum(r.validated for r in results)}/{len(results)} "
        f"| {sum(r.modified for r in results)} | {sum(r.leaks for r in results)} "
        f"| | {tokens / model_s if model_s else 0:.1f} "
        f"| {tokens} | {sum(r.total_s for r in results):.0f} s | |"
    )


async def bench(url: str) -> list[Result]:
    results: list[Result] = []
    chosen = {int(i) for i in ONLY.split(",")} if ONLY else set(range(len(FIRST_PROMPTS)))
    projects: dict[int, tuple[str, int]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for index in sorted(chosen):
            result, project_id, last_id = await run_prompt(client, url, FIRST_PROMPTS[index], None)
            results.append(result)
            projects[index] = (project_id, last_id)
            print(f"# {result}", flush=True)
        for index, prompt in FOLLOW_UPS:
            if index not in projects:
                continue
            result, _, _ = await run_prompt(client, url, prompt, projects[index])
            results.append(result)
            print(f"# {result}", flush=True)
    return results


def main() -> None:
    threads = int(os.environ.get("APIFORGE_LLM_THREADS", "1"))
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.platform()}, {os.cpu_count()} cores"
    )
    model = os.environ.get("APIFORGE_LLM_MODEL", "0.5b")
    print(f"# load: {load}; model {model}, threads {threads}, max tokens {MAX_OUTPUT_TOKENS}")
    print(f"# raw replies: {RECORD_DIR}")
    with (
        local_model(threads=threads) as upstream,
        recording(upstream, RECORD_DIR) as model_url,
        tempfile.TemporaryDirectory() as data,
    ):
        server = ServerProcess(
            Path(data),
            env={
                "APIFORGE_PROVIDER": "openai",
                "APIFORGE_MODEL": "local",
                "OPENAI_API_KEY": "local",
                "OPENAI_BASE_URL": model_url,
                "APIFORGE_VALIDATOR": "sandbox",
                "APIFORGE_SANDBOX_FUZZ_S": "0",
                "APIFORGE_FIX_ROUNDS": str(FIX_ROUNDS),
                "APIFORGE_MAX_OUTPUT_TOKENS": str(MAX_OUTPUT_TOKENS),
                "APIFORGE_STALL_TIMEOUT_S": "300",
            },
        )
        server.start()
        try:
            results = asyncio.run(bench(server.url))
        finally:
            server.stop()
    print_table(results)
    after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"# load after: {after}")


if __name__ == "__main__":
    main()
