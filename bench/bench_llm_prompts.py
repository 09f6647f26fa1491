"""Does the system prompt's one-shot example help? The local model, with and without it.

Sends three first prompts straight to the model (no apiforge server, no validation) with the
system prompt as shipped and with its example cut off, parses each reply with apiforge's parser
and prints, per reply, the files it became and how many of its Python files parse.

Run after ``scripts/llm.sh install``: ``.venv-dev/bin/python bench/bench_llm_prompts.py``
(``APIFORGE_LLM_BASE_URL`` reuses a model server already running).
"""

from __future__ import annotations

import ast
import os
import sys
import time
from pathlib import Path

from openai import OpenAI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from llm_recorder import recording  # noqa: E402

from apiforge.generation.reply_format.parse_events import FileClosed  # noqa: E402
from apiforge.generation.reply_format.parser import StreamParser  # noqa: E402
from apiforge.providers.conversation import SYSTEM_PROMPT  # noqa: E402
from tests.llm.local_model import local_model  # noqa: E402

EXAMPLE_START = "Below, between the two ===== lines"
PROMPTS = [
    "a todo API with tasks (title, done, due date)",
    "a notes API: notes with title and body, search by word",
    "a bookstore API with books (title, author, price) and stock counts",
]
MAX_TOKENS = int(os.environ.get("BENCH_LLM_MAX_TOKENS", "900"))
# Every raw reply is kept here (bench/llm_replies.py reads them back).
RECORD_DIR = Path(
    os.environ.get("BENCH_LLM_RECORD_DIR") or f"/tmp/apiforge-prompts-{time.strftime('%H%M%S')}"
)


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def files_of(reply: str) -> dict[str, str]:
    parser = StreamParser()
    events = parser.feed(reply) + parser.finish()
    return {e.path: e.body for e in events if isinstance(e, FileClosed)}


def main() -> None:
    variants = {
        "with example": SYSTEM_PROMPT,
        "without example": SYSTEM_PROMPT[: SYSTEM_PROMPT.index(EXAMPLE_START)].rstrip() + "\n",
    }
    print(f"raw replies: {RECORD_DIR}", flush=True)
    with local_model() as upstream, recording(upstream, RECORD_DIR) as url:
        client = OpenAI(base_url=url, api_key="local")
        for name, system in variants.items():
            for prompt in PROMPTS:
                started = time.monotonic()
                response = client.chat.completions.create(
                    model="local",
                    max_tokens=MAX_TOKENS,
                    messages=[
                        {"role": "system", "content": system},
                        {"role": "user", "content": prompt},
                    ],
                )
                files = files_of(response.choices[0].message.content or "")
                python = [body for path, body in files.items() if path.endswith(".py")]
                tokens = response.usage.completion_tokens if response.usage else 0
                print(
                    f"{name:<16} | {prompt[:40]:<40} | {len(files)} files | "
                    f"{sum(map(parses, python))}/{len(python)} .py parse | {tokens} tokens | "
                    f"{time.monotonic() - started:.0f} s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
