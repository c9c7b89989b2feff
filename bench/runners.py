#!/usr/bin/env python3
"""Remote runners against the in-process runner, in one run (a benchmark, not a test).

A no-op worker published and run by `seek runner` over HTTP, one process per job and --persistent, beside the
built-in `echo` run in process. Needs a release build (swift build -c release --product seek) and wrk.
Usage: bench/runners.py [--seconds 3] [--concurrency 8]
Prints a Markdown table; docs/benchmarks.md records the figures of a run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import SEEK, Server, wrk  # noqa: E402

# The cheapest worker each mode allows: a shell that reads its input with a builtin and answers (one process
# per job), and a Python loop that answers each line. The same shell handing its input to cat is measured
# too: two processes per job, as a worker that starts a helper costs.
PER_PROCESS = ["/bin/sh", "-c", 'read -r _; echo \'{"type":"data","data":{}}\'']
WITH_CAT = ["/bin/sh", "-c", 'cat >/dev/null; echo \'{"type":"data","data":{}}\'']
PERSISTENT = r'''
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "job":
        sys.stdout.write(json.dumps({"type": "done", "job_uuid": message["job_uuid"]}) + "\n")
        sys.stdout.flush()
'''
MANIFEST = {"id": "noop", "name": "No-op", "version": "1.0.0", "input_schema": {"type": "object"}, "output": {"kind": "object"},
            "pricing": {"billing_mode": "per_run", "credits_per_run": 1}, "max_duration_s": 30}


def call(server, method, path, key, body=None):
    request = urllib.request.Request(server.url(path), method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-Api-Key": key, "Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request, timeout=30).read() or b"null")


def throughput(server, worker):
    """Completed jobs of `worker` ÷ (last completion − first start): how fast the runner emptied the queue."""
    import sqlite3
    db = sqlite3.connect(server.dir / "seek.sqlite")
    rows = db.execute("SELECT started_at, completed_at, status FROM jobs WHERE worker_id = ?", (worker,)).fetchall()
    db.close()
    done = [(s, c) for s, c, status in rows if status == "completed"]
    span = (max(c for _, c in done) - min(s for s, _ in done)) / 1000
    return len(done), len(rows), len(done) / span


def run_remote(args, command, flags, label, report):
    server = Server(args.concurrency)
    call(server, "POST", "/v1/workers", server.key, MANIFEST)
    token = call(server, "POST", "/v1/workers/noop/runner-tokens", server.key)["token"]
    # The queue is filled first; then the runner empties it, so the figure is the runner's alone.
    wrk(server.url("/v1/workers/noop/jobs"), key=server.key, seconds=args.seconds)
    runner = subprocess.Popen([str(SEEK), "runner", "--server", server.url(""), "--token", token, "--concurrency", str(args.concurrency),
                               *flags, "--", *command], env={**os.environ, "SEEK_LOG_LEVEL": "error"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.drain(limit=900)
    finally:
        runner.terminate()
        runner.wait(timeout=60)
    done, total, rate = throughput(server, "noop")
    server.stop()
    report.append((label, f"{rate:.0f} jobs/s ({done} of {total} completed)"))
    print(f"{label}: {rate:.0f} jobs/s", file=sys.stderr, flush=True)
    return rate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    report = []

    server = Server(args.concurrency)
    wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds)
    server.drain()
    done, total, echo = throughput(server, "echo")
    server.stop()
    report.append((f"in-process echo, --concurrency {args.concurrency}", f"{echo:.0f} jobs/s ({done} of {total} completed)"))
    print(f"echo: {echo:.0f} jobs/s", file=sys.stderr, flush=True)

    script = Path(tempfile.mkdtemp()) / "noop.py"
    script.write_text(PERSISTENT)
    persistent = run_remote(args, [sys.executable, str(script)], ["--persistent"], f"seek runner --persistent, --concurrency {args.concurrency}", report)
    per_process = run_remote(args, PER_PROCESS, [], f"seek runner, one process per job (/bin/sh), --concurrency {args.concurrency}", report)
    run_remote(args, WITH_CAT, [], f"seek runner, one process per job (/bin/sh and cat), --concurrency {args.concurrency}", report)
    report.append(("persistent ÷ in-process echo", f"{100 * persistent / echo:.0f} % (target ≥ 50 %)"))
    report.append(("one process per job", f"{per_process:.0f} jobs/s (target ≥ 300)"))
    print("| measure | result |\n|---|---|")
    for name, value in report:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    sys.exit(main())
