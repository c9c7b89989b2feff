#!/usr/bin/env python3
"""What one request costs the server in CPU, by kind: /healthz, an authenticated request that stops before the
database, one that reads nothing but answers a worker's manifest, a submit to a worker id nobody has, a durable submit
with no runner, and a submit whose job the runner also runs and finishes. A benchmark, not a test.

Each figure is the server process's user + system CPU time (from /proc, found by its data directory) over a wrk run, divided by the requests wrk
completed. It explains what `bench/bench.py`'s "submit ÷ healthz" can reach on a machine: a submit can never cost less
than the authenticated request it starts as.

Needs a release build (swift build -c release --product seek) and wrk.
Usage: bench/request_costs.py [--seconds 8]
"""
import argparse
import sys
import time

from bench import Server, cpu_seconds, wrk

SUBMIT = "/v1/workers/echo/jobs"


def measure(server, path, seconds, authenticated, post, drain):
    """wrk's rate, the server's CPU per request, its cores busy, and the requests refused."""
    before = cpu_seconds(str(server.dir))
    result = wrk(server.url(path), key=server.key if authenticated else None, seconds=seconds, body='{"n":1}' if post else None)
    if drain:
        server.drain()
    time.sleep(0.3)
    spent = cpu_seconds(str(server.dir)) - before
    return result["rate"], 1e6 * spent / result["requests"], spent / seconds, result["non2xx"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    print("| request | req/s | server CPU per request | server cores busy | non-2xx |\n|---|---|---|---|---|")
    # No runner: the submits stay queued, so nothing but the request and its commit is measured.
    api = Server(256, flags=("--role", "api"))
    cases = [
        ("GET /healthz", "/healthz", False, False),
        ("GET /v1/jobs/nope: a 404 after authentication and the rate limit", "/v1/jobs/nope", True, False),
        ("GET /v1/workers/echo: a manifest, no database", "/v1/workers/echo", True, False),
        ("POST a job of a worker nobody has: a 404", "/v1/workers/nobody/jobs", True, True),
        ("POST a job, no runner (`--role api`)", SUBMIT, True, True),
    ]
    for name, path, authenticated, post in cases:
        rate, micros, cores, refused = measure(api, path, args.seconds, authenticated, post, drain=False)
        print(f"| {name} | {rate:,.0f} | {micros:.0f} µs | {cores:.2f} | {refused} |", flush=True)
    api.stop()
    full = Server(256)
    rate, micros, cores, refused = measure(full, SUBMIT, args.seconds, True, True, drain=True)
    print(f"| POST a job that the runner also runs and finishes | {rate:,.0f} | {micros:.0f} µs | {cores:.2f} | {refused} |")
    full.stop()


if __name__ == "__main__":
    sys.exit(main())
