#!/usr/bin/env python3
"""Seek's benchmarks (not tests): durable submit throughput, end-to-end jobs/s and latency, fsyncs per job.

Needs a release build (swift build -c release --product seek) and wrk (apt-get install wrk); strace for (c).
Usage: bench/bench.py [--jobs 50000] [--concurrency 256] [--seconds 10]
Prints a Markdown report; docs/benchmarks.md records the figures of a run.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEK = Path(os.environ.get("SEEK_BIN", ROOT / ".build" / "release" / "seek"))

KEY_LUA = """
wrk.headers["X-Api-Key"] = "%(key)s"
%(pace)s
"""
POST_LUA = """
wrk.method = "POST"
wrk.body = '%(body)s'
wrk.headers["Content-Type"] = "application/json"
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(match):
    """CPU seconds so far of the processes whose command line contains `match`."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if match in command:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_healthy(url, limit=30):
    """Returns once `url` (a server's /healthz) answers 200."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


class Server:
    """A release `seek serve` on a fresh data directory (or on the database `env`'s SEEK_DATABASE_URL names), with
    one enterprise workspace."""

    def __init__(self, concurrency, wrap=(), flags=(), env=None):
        self.wrapped = bool(wrap)
        self.dir = Path(tempfile.mkdtemp(prefix="seek-bench-"))
        self.port = free_port()
        self.env = {**os.environ, "SEEK_LOG_LEVEL": "error", **(env or {})}
        # Limits far above what wrk can send: the limiter runs on every request but never refuses.
        self.key, self.workspace_id = self.workspace(rate=100000000, burst=100000000)
        self.process = subprocess.Popen([*wrap, str(SEEK), "serve", "--data-dir", str(self.dir), "--port", str(self.port),
                                         "--concurrency", str(concurrency), *flags], env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_healthy(self.url("/healthz"))

    def workspace(self, rate, burst):
        """A new enterprise workspace with 10⁸ credits and this rate limit: its key and id."""
        admin = lambda *words: subprocess.run([str(SEEK), "admin", "workspace", *words, "--data-dir", str(self.dir)], env=self.env,
                                              check=True, capture_output=True, text=True).stdout
        created = json.loads(admin("create", "--name", "bench", "--plan", "pro", "--credits", "100000000"))
        admin("update", "--id", created["workspace_id"], "--plan", "enterprise", "--rate", str(rate), "--burst", str(burst))
        return created["api_key"], created["workspace_id"]

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def queue(self):
        text = urllib.request.urlopen(self.url("/metrics")).read().decode()
        value = lambda name: float(re.search(rf"^{name} (\S+)", text, re.M).group(1))
        return value("seek_queue_depth") + value("seek_jobs_running")

    def drain(self, limit=600):
        deadline = time.monotonic() + limit
        while self.queue() > 0:
            if time.monotonic() > deadline:
                raise RuntimeError("queue did not drain")
            time.sleep(0.2)

    def stop(self):
        # Under strace, signal the traced server itself; strace writes its summary when it exits.
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        target = int(children[0]) if self.wrapped and children else self.process.pid
        os.kill(target, signal.SIGTERM)
        self.process.wait(timeout=120)

    def jobs(self):
        db = sqlite3.connect(self.dir / "seek.sqlite")
        rows = db.execute("SELECT created_at, completed_at, status FROM jobs").fetchall()
        db.close()
        return rows


def wrk(url, key=None, connections=64, seconds=10, pace_ms=None, threads=1, body='{"n":1}'):
    """wrk on `url`: with a key, it POSTs `body` with that key (or GETs with it when `body` is None)."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    script = None
    if key:
        pace = f"function delay() return {pace_ms} end" if pace_ms else ""
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(KEY_LUA % {"key": key, "pace": pace})
        if body is not None:
            script.write(POST_LUA % {"body": body})
        script.close()
        args += ["-s", script.name]
    out = subprocess.run(args + [url], check=True, capture_output=True, text=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    return {"requests": requests, "rate": rate, "non2xx": int(errors.group(1)) if errors else 0, "p99": p99}


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latencies(rows):
    done = [(c, d) for c, d, s in rows if s == "completed"]
    spans = [d - c for c, d in done]
    span_s = (max(d for _, d in done) - min(c for c, _ in done)) / 1000
    return {"jobs": len(done), "all": len(rows), "jobs_per_s": len(done) / span_s, "p50": percentile(spans, 50), "p99": percentile(spans, 99)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=50000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    report = []

    def note(name, value):
        report.append((name, value))
        print(f"{name}: {value}", file=sys.stderr, flush=True)

    # (a) durable submit throughput beside /healthz on the same server.
    server = Server(args.concurrency)
    health = wrk(server.url("/healthz"), seconds=args.seconds)
    submit = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds)
    server.drain()
    server.stop()
    note("(a) GET /healthz, 64 connections", f"{health['rate']:.0f} req/s (p99 {health['p99']})")
    note("(a) POST /v1/workers/echo/jobs, 64 connections", f"{submit['rate']:.0f} req/s (p99 {submit['p99']}, non-2xx {submit['non2xx']})")
    note("(a) submit ÷ healthz", f"{100 * submit['rate'] / health['rate']:.0f} % (target ≥ 40 %)")

    # (b) end-to-end: submit at full speed until args.jobs are accepted, let them all complete.
    server = Server(args.concurrency)
    seconds = max(5, int(args.jobs / max(submit["rate"], 1)) + 2)
    # (c), first way: count fsyncs of this very run with perf's syscall tracepoints, which cost little.
    counter = None
    if shutil.which("perf"):
        perf_out = Path(tempfile.mkdtemp()) / "perf.txt"
        counter = subprocess.Popen(["perf", "stat", "-x,", "-e", "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync",
                                    "-p", str(server.process.pid), "-o", str(perf_out)], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    full = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=seconds)
    server.drain()
    e2e = latencies(server.jobs())
    if counter:
        counter.send_signal(signal.SIGINT)
        counter.wait(timeout=30)
        syncs = sum(int(line.split(",")[0]) for line in perf_out.read_text().splitlines() if "sys_enter_f" in line and line[0].isdigit())
        note("(c) fsyncs during (b), by perf tracepoints", f"{syncs} for {e2e['all']} jobs: {1000 * syncs / e2e['all']:.1f} per 1,000 jobs, "
             f"{e2e['all'] / max(syncs, 1):.0f} jobs per fsync (target ≥ 20)")
    server.stop()
    note("(b) jobs submitted and completed", f"{e2e['jobs']} of {e2e['all']} accepted ({full['non2xx']} refused)")
    note("(b) end-to-end throughput", f"{e2e['jobs_per_s']:.0f} jobs/s (target ≥ 5,000)")
    note("(b) submit→completed at full load", f"p50 {e2e['p50']} ms, p99 {e2e['p99']} ms")

    # (b) at half that rate: 64 connections, each pacing its requests.
    half_rate = e2e["jobs_per_s"] / 2
    server = Server(args.concurrency)
    pace = max(1, int(64 * 1000 / half_rate))
    paced = wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds, pace_ms=pace)
    server.drain()
    half = latencies(server.jobs())
    server.stop()
    note("(b) submit→completed at half rate", f"{paced['rate']:.0f} jobs/s offered: p50 {half['p50']} ms, p99 {half['p99']} ms (target p99 ≤ 25 ms)")

    # (c) fsyncs per 1,000 jobs, counted by strace over a whole submit-and-complete run.
    if shutil.which("strace"):
        trace = Path(tempfile.mkdtemp()) / "strace.txt"
        server = Server(args.concurrency, wrap=("strace", "-f", "-c", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-o", str(trace)))
        wrk(server.url("/v1/workers/echo/jobs"), key=server.key, seconds=args.seconds)
        server.drain()
        jobs = len(server.jobs())
        server.stop()
        text = trace.read_text()
        # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
        calls = sum(int(line.split()[3]) for line in text.splitlines() if line.strip().endswith(("fsync", "fdatasync")) and line.split()[0][0].isdigit())
        note("(c) fsyncs under strace -f -c (which slows the server)", f"{calls} for {jobs} jobs: {1000 * calls / max(jobs, 1):.1f} per 1,000 jobs, {jobs / max(calls, 1):.0f} jobs per fsync (target ≥ 20)")

    print(f"| measure | result |\n|---|---|")
    for name, value in report:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    sys.exit(main())
