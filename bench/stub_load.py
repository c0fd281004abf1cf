#!/usr/bin/env python3
"""Raw asyncio load generator for the stub: measures the stub's own ceiling.

Opens ``--concurrency`` keep-alive connections and sends ``--n`` chat completions in total
(each connection: one request, wait for the full response, next request).  No JSON parsing
of replies, no HTTP library: this is the cheapest client possible in Python, so its req/s is
the upper bound any Python harness can reach against the stub on this machine.

    python bench/stub_load.py --port 8000 --n 20000 --concurrency 64
    python bench/stub_load.py --spawn --n 20000 --concurrency 64   # starts its own stub
    python bench/stub_load.py --port 8000 --n 1000 --data bench/data/mcq_1000.jsonl

Prints one JSON line: {"requests", "wall_s", "req_per_s", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

_DEFAULT_PROMPT = "Which is correct?\n\nA. x\nB. y\n\nAnswer:"


def _request(port: int, prompt: str) -> bytes:
    body = json.dumps(
        {
            "model": "stub",
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": 8,
            "temperature": 0,
        }
    ).encode()
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + str(port).encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
        b"\r\n" + body
    )


async def _worker(
    port: int, requests: list[bytes], counter: list[int], n: int, latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while counter[0] < n:
            req = requests[counter[0] % len(requests)]
            counter[0] += 1
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
    finally:
        writer.close()


async def run_load(
    port: int, n: int, concurrency: int, prompts: list[str] | None = None
) -> dict[str, float | int]:
    requests = [_request(port, p) for p in (prompts or [_DEFAULT_PROMPT])]
    counter = [0]
    latencies: list[float] = []
    t0 = time.perf_counter()
    workers = (_worker(port, requests, counter, n, latencies) for _ in range(concurrency))
    await asyncio.gather(*workers)
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "requests": len(latencies),
        "concurrency": concurrency,
        "wall_s": round(wall, 4),
        "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--spawn", action="store_true", help="start a stub on a free port first")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="only with --spawn")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--data", type=Path, help="MCQ JSONL: send its items (rendered) as prompts")
    args = ap.parse_args(argv)
    prompts = None
    if args.data is not None:
        from harness import format_mcq, load_items

        prompts = [format_mcq(it) for it in load_items(args.data, args.n, strict=False)]
    proc: subprocess.Popen[str] | None = None
    port = args.port
    if args.spawn:
        stub = Path(__file__).with_name("stub_server.py")
        cmd = [sys.executable, str(stub), "--port", "0", "--latency-ms", str(args.latency_ms)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
    try:
        result = asyncio.run(run_load(port, args.n, args.concurrency, prompts))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
