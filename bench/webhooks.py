#!/usr/bin/env python3
"""Seek's webhook benchmark (not a test): deliveries per second to a local sink that answers 200, and
the lag from a job's completed_at to its webhook's first attempt, at full load and at a paced rate.

Needs a release build (swift build -c release --product seek) and wrk. Usage: bench/webhooks.py [--seconds 10]
Prints a Markdown report; docs/benchmarks.md records the figures of a run.
"""
import argparse
import asyncio
import json
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import Server, free_port, percentile, wrk  # noqa: E402


def run_sink(port: int, out: str):
    """The sink, in its own process: HTTP/1.1 keep-alive, 200 to every POST, arrival times kept in memory."""
    records = []

    class Sink(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buffer = transport, b""

        def data_received(self, data):
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                length = re.search(rb"(?i)content-length:\s*(\d+)", self.buffer[:end])
                size = int(length.group(1)) if length else 0
                if len(self.buffer) < end + 4 + size:
                    return
                records.append((time.time(), self.buffer[end + 4:end + 4 + size]))
                self.buffer = self.buffer[end + 4 + size:]
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    async def main():
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
        server = await loop.create_server(Sink, "127.0.0.1", port)
        await stop
        server.close()

    asyncio.run(main())
    with open(out, "w") as f:
        for at, body in records:
            f.write(json.dumps({"at_ms": at * 1000, "job": json.loads(body)["job_uuid"]}) + "\n")


class SinkProcess:
    def __init__(self):
        self.port = free_port()
        self.out = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
        self.process = subprocess.Popen([sys.executable, __file__, "--sink", str(self.port), self.out])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(urllib.request.Request(self.url, data=b'{"job_uuid":"warmup"}', method="POST"), timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sink did not start")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def records(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return [json.loads(line) for line in Path(self.out).read_text().splitlines() if '"warmup"' not in line]


def pending_webhooks(server):
    text = urllib.request.urlopen(server.url("/metrics")).read().decode()
    return float(re.search(r"^seek_webhook_deliveries_pending (\S+)", text, re.M).group(1))


def measure(sink, server, label, seconds, pace_ms=None):
    body = json.dumps({"n": 1, "webhook": sink.url})
    load = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=seconds, pace_ms=pace_ms, body=body)
    server.drain()
    deadline = time.monotonic() + 300
    while pending_webhooks(server) > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    db = sqlite3.connect(Path(server.dir) / "seek.sqlite")
    completed = dict(db.execute("SELECT id, completed_at FROM jobs WHERE status = 'completed'").fetchall())
    attempts = db.execute("SELECT COUNT(*) FROM webhook_attempts").fetchone()[0]
    db.close()
    server.stop()
    records = sink.records()
    first = {}
    for record in records:
        first.setdefault(record["job"], record["at_ms"])
    lags = [first[job] - done for job, done in completed.items() if job in first]
    span = (max(r["at_ms"] for r in records) - min(r["at_ms"] for r in records)) / 1000
    return {
        "label": label, "offered": load["rate"], "jobs": len(completed), "received": len(records), "unique": len(first),
        "attempts": attempts, "per_s": len(records) / span, "p50": percentile(lags, 50), "p99": percentile(lags, 99),
        "max": max(lags),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--sink", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return run_sink(int(args.sink[0]), args.sink[1])

    flags = ("--allow-private-webhooks",)
    rows = []
    sink = SinkProcess()
    rows.append(measure(sink, Server(args.concurrency, flags=flags), "full load", args.seconds))
    # Then at about a third of that delivery rate, where nothing queues up: the lag a receiver normally sees.
    rate = rows[0]["per_s"] / 3
    sink = SinkProcess()
    rows.append(measure(sink, Server(args.concurrency, flags=flags), f"paced (~{rate:.0f} jobs/s)", args.seconds,
                        pace_ms=max(1, int(64 * 1000 / rate))))

    print("| run | jobs/s offered | jobs completed | deliveries received (distinct jobs) | deliveries/s | "
          "completed_at → first attempt p50 / p99 / max |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['offered']:.0f} | {r['jobs']} | {r['received']} ({r['unique']}) | {r['per_s']:.0f} | "
              f"{r['p50']:.0f} / {r['p99']:.0f} / {r['max']:.0f} ms |")
    print("\nTargets: ≥ 2,000 deliveries/s; p99 ≤ 50 ms.")


if __name__ == "__main__":
    sys.exit(main())
