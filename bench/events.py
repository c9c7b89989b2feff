#!/usr/bin/env python3
"""Live job events under load (a benchmark, not a test).

One `seek serve` (release build, SQLite). wrk submits echo jobs at about --rate jobs/s (64 connections, each
pacing its requests) for --seconds, first alone, then again while --streams clients each follow job after job:
submit one, open its event stream, read until `done`. Reports the submits/s of both runs, the events delivered per
second to the streams, and the delay from a job's `completed_at` to its `done` event arriving (p50/p99).

Needs a release build (swift build -c release --product seek) and wrk.
Usage: bench/events.py [--seconds 8] [--streams 200] [--rate 2000]
"""
import argparse
import json
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import Server, percentile, wrk  # noqa: E402


def millis(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000


class Follower(threading.Thread):
    """Submits a job, reads its event stream to `done`, and again, until told to stop."""

    def __init__(self, server, stop):
        super().__init__(daemon=True)
        self.server, self.stop = server, stop
        self.session = requests.Session()
        self.session.headers["X-Api-Key"] = server.key
        self.events, self.delays, self.errors = 0, [], 0

    def run(self):
        while not self.stop.is_set():
            try:
                job = self.session.post(self.server.url("/v1/workers/echo/jobs"), json={"n": 1}, timeout=30).json()
                with self.session.get(self.server.url(f"/v1/jobs/{job['job_uuid']}/events"), stream=True, timeout=30) as stream:
                    kind = None
                    for line in stream.iter_lines(chunk_size=None, decode_unicode=True):
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: "):
                            self.events += 1
                            if kind == "done":
                                self.delays.append(time.time() * 1000 - millis(json.loads(line[6:])["completed_at"]))
                                break
            except (requests.RequestException, KeyError, ValueError):
                self.errors += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rate", type=int, default=2000, help="the submits/s wrk offers")
    args = parser.parse_args()
    pace_ms = max(1, int(64 * 1000 / args.rate))
    server = Server(256)
    try:
        alone = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds, pace_ms=pace_ms)
        server.drain()
        stop = threading.Event()
        followers = [Follower(server, stop) for _ in range(args.streams)]
        for follower in followers:
            follower.start()
        time.sleep(1)  # the followers' first streams open before the measured run
        counted = sum(f.events for f in followers)
        started = time.monotonic()
        beside = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds, pace_ms=pace_ms)
        elapsed = time.monotonic() - started
        events = sum(f.events for f in followers) - counted
        stop.set()
        for follower in followers:
            follower.join(timeout=60)
        server.drain()
    finally:
        server.stop()
    delays = [d for f in followers for d in f.delays]
    print("| measure | value |")
    print("|---|---|")
    print(f"| submits, wrk alone ({args.rate} offered) | {alone['rate']:.0f} req/s (p99 {alone['p99']}, non-2xx {alone['non2xx']}) |")
    print(f"| submits, beside {args.streams} streams | {beside['rate']:.0f} req/s (p99 {beside['p99']}, non-2xx {beside['non2xx']}) |")
    print(f"| events delivered to the streams | {events / elapsed:.0f} events/s ({len(delays)} jobs followed to done, "
          f"{sum(f.errors for f in followers)} errors) |")
    print(f"| completed_at → done received | p50 {percentile(delays, 50):.1f} ms, p99 {percentile(delays, 99):.1f} ms (target p99 ≤ 20 ms) |")


if __name__ == "__main__":
    main()
