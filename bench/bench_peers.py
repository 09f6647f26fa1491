"""apiforge against its peers in one run: the same recorded generation served to N subscribers.

A real offline generation is recorded from apiforge first (its events and their gaps); then
each server in bench/peer_servers.py — each its own uvicorn process — emits that stream to N
raw-socket subscribers (or to N clients polling every 2 s). Two modes: ``paced`` replays the
recorded gaps (latency as a person would see it), ``burst`` emits with no gaps (throughput).
Printed: deliveries/s, emit→receive p50/p99, server CPU per 1,000 deliveries, and each as a
ratio against the raw Starlette broadcaster. Run: .venv-dev/bin/python bench/bench_peers.py [N...]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_core import PROMPT, last_event_id, pct, wait_idle  # noqa: E402
from raw_sse import Subscriber, attached  # noqa: E402

from apiforge.ports import free_port  # noqa: E402
from tests.server_process import NO_LIMITS  # noqa: E402

HERE = Path(__file__).resolve().parent
POLL_S = 2.0
Recording = list[tuple[float, dict[str, Any]]]


@dataclass
class Result:
    kind: str
    mode: str
    subscribers: int
    deliveries: int
    seconds: float
    cpu_s: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.deliveries / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_1000(self) -> float:
        return self.cpu_s * 1000 / self.deliveries * 1000 if self.deliveries else 0.0


class Peer:
    """One server of ``kind`` in its own process, on a free loopback port."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = Path(tempfile.mkdtemp(prefix=f"apiforge-peers-{kind}-"))
        env = {**os.environ, **NO_LIMITS, "APIFORGE_DATA_DIR": str(self.data)}
        env |= {"APIFORGE_VALIDATOR": "none", "APIFORGE_ENGINE_DELAY_MS": "5"}
        command = [sys.executable, str(HERE / "peer_servers.py"), kind, str(self.port)]
        log = (self.data / "server.log").open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_serving(self) -> None:
        for _ in range(600):
            try:
                # Any answer will do: peers have no health route (apiforge's is not 404).
                if httpx.get(self.url + "/api/health", timeout=1).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not start: {(self.data / 'server.log').read_text()}")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


async def record(client: httpx.AsyncClient) -> tuple[str, Recording]:
    """A real offline generation's events (v1 of a new project) with the gaps between them."""
    pid = (await client.post("/api/projects", json={"prompt": PROMPT})).json()["project"]["id"]
    await wait_idle(client, pid)
    events: list[dict[str, Any]] = []
    async with client.stream("GET", f"/api/stream/{pid}") as response:
        async for text in response.aiter_lines():
            if text.startswith("data: "):
                events.append(json.loads(text[6:]))
                if events[-1]["type"] == "version:complete":
                    break
    gaps = [0.0] + [b["ts"] - a["ts"] for a, b in zip(events, events[1:], strict=False)]
    return pid, list(zip(gaps, events, strict=True))


async def subscribe(
    url: str, path: str, last_id: int, ready: asyncio.Event, out: list[Subscriber]
) -> None:
    """One raw-socket subscriber (raw_sse.py). Its lines are decoded once every subscriber is
    done: decoding as each one ended delayed the others' last events in this process."""
    stream = await attached(url, path, last_id)
    ready.set()
    try:
        await stream.read_until_complete()
    finally:
        stream.close()
    out.append(stream)


async def poll(url: str, ready: asyncio.Event, go: asyncio.Event, out: list[float]) -> None:
    """What the product replaces: GET every 2 s from a random phase, until the version ends.

    A bare keep-alive socket like the subscribers', so the client's own cost does not add
    staleness (an httpx client per 1,000 pollers did, by seconds)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    after, done = 0, False
    ready.set()
    await go.wait()  # polls begin with the play: the server forgets the last race's events then
    await asyncio.sleep(random.uniform(0, POLL_S))
    try:
        while not done:
            writer.write(f"GET /events?after={after} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            headers = (await reader.readuntil(b"\r\n\r\n")).lower()
            length = int(headers.split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
            received = time.time()
            for event in json.loads(body):
                out.append((received - event["ts"]) * 1000)
                after, done = event["seq"], done or event["type"] == "version:complete"
            if not done:
                await asyncio.sleep(POLL_S)
    finally:
        writer.close()


async def settle(peer: Peer) -> None:
    """Wait until the server is idle (under 10 % of a core): every subscriber set up."""
    for _ in range(80):
        before = peer.cpu_seconds()
        await asyncio.sleep(0.25)
        if peer.cpu_seconds() - before < 0.025:
            return


async def race(peer: Peer, recording: Recording, subscribers: int, mode: str) -> Result:
    """``subscribers`` clients attached, then the stream played once; measured until all ended."""
    async with httpx.AsyncClient(base_url=peer.url, timeout=120) as client:
        recording, path, last_id = await prepare(client, peer.kind, recording)
        if mode == "burst":
            recording = [(0.0, event) for _, event in recording]
        latencies: list[float] = []
        streams: list[Subscriber] = []
        go = asyncio.Event()
        readies = [asyncio.Event() for _ in range(subscribers)]
        if peer.kind == "polling":
            clients = [poll(peer.url, ready, go, latencies) for ready in readies]
        else:
            clients = [subscribe(peer.url, path, last_id, r, streams) for r in readies]
        tasks = [asyncio.create_task(c) for c in clients]
        await asyncio.gather(*(ready.wait() for ready in readies))
        await settle(peer)
        cpu, start = peer.cpu_seconds(), time.time()
        played = await client.post("/play", content=json.dumps(recording))
        assert played.status_code == 202, played.text
        go.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
        seconds, cpu_s = time.time() - start, peer.cpu_seconds() - cpu
        latencies += [ms for stream in streams for _kind, ms in stream.latencies()]
    return Result(peer.kind, mode, subscribers, len(latencies), seconds, cpu_s, latencies)


async def prepare(
    client: httpx.AsyncClient, kind: str, recording: Recording
) -> tuple[Recording, str, int]:
    """The stream as this server takes it, the path to subscribe to and the id to resume after.

    apiforge streams a project it knows: a fresh one (its v1 done), the events moved onto it."""
    if kind != "apiforge":
        return recording, "/stream", 0
    pid = (await client.post("/api/projects", json={"prompt": PROMPT})).json()["project"]["id"]
    await wait_idle(client, pid)
    moved = [(gap, {**event, "project_id": pid}) for gap, event in recording]
    return moved, f"/api/stream/{pid}", await last_event_id(client, pid)


async def run_all(sizes: list[int]) -> list[Result]:
    peers = {
        kind: Peer(kind) for kind in ("apiforge", "raw", "sse_starlette", "fastapi", "polling")
    }
    results: list[Result] = []
    try:
        for peer in peers.values():
            peer.wait_serving()
        async with httpx.AsyncClient(base_url=peers["apiforge"].url, timeout=60) as client:
            _, recording = await record(client)
        for mode in ("paced", "burst"):
            for size in sizes:
                for peer in peers.values():
                    if mode == "burst" and peer.kind == "polling":
                        continue  # a poller takes a burst in one response: nothing to race
                    results.append(await race(peer, recording, size, mode))
    finally:
        for peer in peers.values():
            peer.stop()
    print(f"recorded stream: {len(recording)} events, {sum(g for g, _ in recording):.2f} s paced")
    return results


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def goals(results: list[Result]) -> None:
    """The issue's goals, from the largest subscriber count measured."""
    size = max(r.subscribers for r in results)
    by = {(r.kind, r.mode): r for r in results if r.subscribers == size}
    throughput = ratio(by["apiforge", "burst"].per_second, by["raw", "burst"].per_second)
    native = ratio(by["apiforge", "burst"].per_second, by["fastapi", "burst"].per_second)
    stale = ratio(
        pct(by["polling", "paced"].latencies, 99), pct(by["apiforge", "paced"].latencies, 99)
    )
    print(
        f"goals at {size} subscribers: apiforge {throughput:.2f}× raw throughput (goal ≥ 0.7), "
        f"{native:.2f}× FastAPI native SSE (goal ≥ 8), p99 staleness {stale:.0f}× better "
        "than polling (goal ≥ 200)"
    )


def report(results: list[Result]) -> None:
    raw = {(r.mode, r.subscribers): r for r in results if r.kind == "raw"}
    print(
        f"{'mode':<6} {'subs':>5} {'server':<14} {'deliv/s':>9} {'×raw':>6} "
        f"{'p50 ms':>8} {'p99 ms':>9} {'×raw':>7} {'CPU ms/1k':>10} {'×raw':>6}"
    )
    for r in results:
        base = raw[(r.mode, r.subscribers)]
        p50, p99, base_p99 = pct(r.latencies, 50), pct(r.latencies, 99), pct(base.latencies, 99)
        print(
            f"{r.mode:<6} {r.subscribers:>5} {r.kind:<14} {r.per_second:>9.0f} "
            f"{ratio(r.per_second, base.per_second):>6.2f} {p50:>8.2f} {p99:>9.2f} "
            f"{ratio(p99, base_p99):>7.2f} {r.cpu_ms_per_1000:>10.1f} "
            f"{ratio(r.cpu_ms_per_1000, base.cpu_ms_per_1000):>6.2f}"
        )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 100, 1000]
    print(
        f"apiforge peers benchmark — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores (client shares them)"
    )
    results = asyncio.run(run_all(sizes))
    report(results)
    goals(results)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
