#!/usr/bin/env python3
"""Live job events under load (a benchmark, not a test).

One `seek serve` (release build, SQLite). wrk submits echo jobs at about --rate jobs/s (64 connections, each
pacing its requests) for --seconds, first alone, then again while --streams clients each follow job after job:
submit one, open its event stream, read until `done` (back to back, or paced to --follow-rate jobs/s in all). Reports
the submits/s of both runs, the events delivered per second to the streams, and the delay from a job's
`completed_at` to its `done` event arriving (p50/p99), split at the moment the completed event was recorded.

Needs a release build (swift build -c release --product seek) and wrk.
Usage: bench/events.py [--seconds 8] [--streams 200] [--rate 2000] [--follow-rate 0]
"""
import argparse
import asyncio
import json
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import Server, percentile, wrk  # noqa: E402


def millis(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000


class Followers(threading.Thread):
    """`count` followers on one asyncio loop, each over its own keep-alive connection: submit a job, read its event
    stream to `done`, and again, until told to stop. Raw HTTP/1.1 on asyncio streams, so that 200 streams cost the
    client little CPU: on two cores, what the client burns the server does not get."""

    def __init__(self, server, count, interval):
        super().__init__(daemon=True)
        self.server, self.count, self.interval = server, count, interval
        self.events, self.delays, self.errors = 0, [], 0
        # The done delay in two: completed_at → the completed status event's `at` (the ending's commit, since the
        # event is recorded once it is stored), and that → the done event received (the stream's wake and write).
        self.stored, self.delivered = [], []
        self.stopping = False

    def run(self):
        asyncio.run(self.follow_all())

    async def follow_all(self):
        await asyncio.gather(*(self.follow(self.interval * n / self.count) for n in range(self.count)))

    async def follow(self, offset):
        """One job every `interval` seconds (or back to back with 0), the streams' starts spread over one interval."""
        connection, due = None, asyncio.get_running_loop().time() + offset
        while not self.stopping:
            await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))
            due += self.interval
            try:
                connection = connection or await asyncio.open_connection("127.0.0.1", self.server.port)
                job = json.loads(await self.exchange(connection, "POST", "/v1/workers/echo/jobs", b'{"n":1}'))
                await self.read_stream(connection, job["job_uuid"])
            except (OSError, KeyError, ValueError, asyncio.IncompleteReadError):
                self.errors += 1
                connection = None

    def request(self, method, path, body=b""):
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {self.server.key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode() + body

    @staticmethod
    async def head(reader):
        lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        return int(lines[0].split()[1]), headers

    async def exchange(self, connection, method, path, body):
        reader, writer = connection
        writer.write(self.request(method, path, body))
        status, headers = await self.head(reader)
        payload = await reader.readexactly(int(headers.get("content-length", 0)))
        if status >= 300:
            raise ValueError(f"{status}: {payload[:200]!r}")
        return payload

    async def read_stream(self, connection, job_id):
        reader, writer = connection
        writer.write(self.request("GET", f"/v1/jobs/{job_id}/events"))
        status, headers = await self.head(reader)
        if status != 200 or headers.get("transfer-encoding") != "chunked":
            raise ValueError(f"events: {status}")
        buffered, kind, ended_at = b"", None, None
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return
            buffered += chunk[:-2]
            *lines, buffered = buffered.split(b"\n")
            for line in lines:
                if line.startswith(b"event: "):
                    kind = line[7:].decode()
                elif line.startswith(b"data: "):
                    self.events += 1
                    if kind == "status" and json.loads(line[6:])["status"] == "completed":
                        ended_at = millis(json.loads(line[6:])["at"])
                    if kind == "done":
                        now, completed = time.time() * 1000, millis(json.loads(line[6:])["completed_at"])
                        self.delays.append(now - completed)
                        if ended_at is not None:
                            self.stored.append(ended_at - completed)
                            self.delivered.append(now - ended_at)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rate", type=int, default=2000, help="the submits/s wrk offers")
    parser.add_argument("--follow-rate", type=float, default=0, help="jobs/s the streams follow in all (0: each back to back)")
    args = parser.parse_args()
    pace_ms = max(1, int(64 * 1000 / args.rate))
    server = Server(256)
    try:
        alone = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds, pace_ms=pace_ms)
        server.drain()
        followers = Followers(server, args.streams, args.streams / args.follow_rate if args.follow_rate else 0)
        followers.start()
        time.sleep(1)  # the followers' first streams open before the measured run
        counted, measured_from = followers.events, len(followers.delays)
        started = time.monotonic()
        beside = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds, pace_ms=pace_ms)
        elapsed = time.monotonic() - started
        events = followers.events - counted
        delays = followers.delays[measured_from:]
        stored, delivered = followers.stored[measured_from:], followers.delivered[measured_from:]
        followers.stopping = True
        followers.join(timeout=60)
        server.drain()
    finally:
        server.stop()
    print("| measure | value |")
    print("|---|---|")
    print(f"| submits, wrk alone ({args.rate} offered) | {alone['rate']:.0f} req/s (p99 {alone['p99']}, non-2xx {alone['non2xx']}) |")
    followed = f"{args.follow_rate:.0f} jobs/s" if args.follow_rate else "back to back"
    print(f"| submits, beside {args.streams} streams ({followed}) | {beside['rate']:.0f} req/s (p99 {beside['p99']}, non-2xx {beside['non2xx']}) |")
    print(f"| events delivered to the streams | {events / elapsed:.0f} events/s ({len(delays)} jobs followed to done, "
          f"{followers.errors} errors) |")
    print(f"| completed_at → done received | p50 {percentile(delays, 50):.1f} ms, p99 {percentile(delays, 99):.1f} ms (target p99 ≤ 20 ms) |")
    print(f"| … completed_at → completed event recorded | p50 {percentile(stored, 50):.1f} ms, p99 {percentile(stored, 99):.1f} ms |")
    print(f"| … completed event recorded → done received | p50 {percentile(delivered, 50):.1f} ms, p99 {percentile(delivered, 99):.1f} ms |")


if __name__ == "__main__":
    main()
