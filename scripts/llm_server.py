"""Serve a local GGUF model over llama.cpp's OpenAI-compatible HTTP API (run by scripts/llm.sh).

Runs in its own venv with xllamacpp; nothing of apiforge is imported. Binds loopback only,
prints the ``OPENAI_BASE_URL`` to give apiforge once the model is loaded, and serves until
interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time

import xllamacpp


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("APIFORGE_LLM_PORT", 8081)))
    parser.add_argument("--ctx", type=int, default=16384, help="context window (>= 16384)")
    threads = int(os.environ.get("APIFORGE_LLM_THREADS", 1))
    parser.add_argument("--threads", type=int, default=threads)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.ctx < 16384:
        raise SystemExit("--ctx must be at least 16384: a follow-up carries the whole project")
    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = [args.host]
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.endpoint_metrics = True
    started = time.monotonic()
    server = xllamacpp.Server(params)
    print(f"model loaded in {time.monotonic() - started:.1f}s ({args.threads} threads)", flush=True)
    print(f"OPENAI_BASE_URL=http://{args.host}:{args.port}/v1", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    del server


if __name__ == "__main__":
    main()
