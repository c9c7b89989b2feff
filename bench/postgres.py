#!/usr/bin/env python3
"""Seek on PostgreSQL against pgqueuer, in one run on one database server (a benchmark, not a test).

Starts a PostgreSQL of its own (scripts/postgres: fsync and synchronous_commit on), then measures, each on a
fresh database of that server:
  pgqueuer   no-op jobs enqueued one per commit by --connections concurrent producers while one QueueManager
             (asyncpg, batch 10) drains them: what a home-grown Python queue on PostgreSQL does
  seek x1    one `seek serve` node: wrk POSTs echo jobs over --connections connections (each 202 a commit
             with its credits reserved), the node's runner completes them
  seek x2    two nodes on the same database, wrk on each with half the connections
For each: jobs/s (completed ÷ last completion − first creation) and creation→completion p50/p99, and the CPU
seconds per 1,000 jobs of the nodes, PostgreSQL and the load generator (from /proc), which share two cores.

Needs a release build (swift build -c release --product seek), wrk, and pgqueuer with asyncpg:
  .venv/bin/pip install pgqueuer asyncpg
Usage: bench/postgres.py [--seconds 10] [--jobs 20000] [--connections 64] [--tenants 1] [--rounds 1]
Prints a Markdown table, a row per run; with --rounds N the three runs repeat N times in turn, and the ratios'
medians close the table (pgqueuer's own rate moves by a quarter from one run to the next here).
docs/benchmarks.md records the figures of a run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, SEEK, cpu_seconds, free_port, percentile, wait_healthy  # noqa: E402


class Meter:
    """CPU used by each part of the system between start() and stop()."""
    PARTS = {"nodes": "seek serve", "postgres": "postgres:", "load": "wrk", "pgqueuer": "pgqueuer-bench"}

    def start(self):
        self.before = {part: cpu_seconds(match) for part, match in self.PARTS.items()}

    def stop(self):
        return {part: cpu_seconds(match) - self.before[part] for part, match in self.PARTS.items()}


def psql(url, sql):
    return subprocess.run(["psql", url, "-At", "-F", ",", "-c", sql], check=True, capture_output=True, text=True).stdout


def fresh_database(server_url, name):
    psql(server_url, f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + "/" + name


def summary(spans_ms, first_ms, last_ms, done, cpu):
    seconds = (last_ms - first_ms) / 1000
    per_thousand = {part: 1000 * used / done for part, used in cpu.items() if used > 0.05}
    return {"jobs": done, "jobs_per_s": done / seconds, "p50": percentile(spans_ms, 50), "p99": percentile(spans_ms, 99),
            "cpu": per_thousand}


# The consumer and producer run as processes of their own (as the nodes and wrk do), named so the meter finds them.
PGQUEUER_CONSUMER = r'''
import asyncio, json, sys, time
import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager
from pgqueuer.queries import Queries

async def main(url, expected):
    connection = await asyncpg.connect(url)
    manager = QueueManager(Queries(AsyncpgDriver(connection)))
    spans, ends = [], []

    @manager.entrypoint("noop")
    async def noop(job):
        now = time.time()
        spans.append((now - job.created.timestamp()) * 1000)
        ends.append(now * 1000)
        if len(spans) >= expected:
            manager.shutdown.set()

    print("ready", flush=True)
    await manager.run(batch_size=10)
    print(json.dumps({"spans": spans, "last": max(ends)}), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
'''

PGQUEUER_PRODUCER = r'''
import asyncio, json, sys, time
import asyncpg
from pgqueuer import AsyncpgPoolDriver
from pgqueuer.queries import Queries

async def main(url, jobs, connections):
    pool = await asyncpg.create_pool(url, min_size=connections, max_size=connections)
    queries = Queries(AsyncpgPoolDriver(pool))
    first = time.time() * 1000
    remaining = iter(range(jobs))

    async def producer():
        for _ in remaining:
            await queries.enqueue("noop", None)

    await asyncio.gather(*(producer() for _ in range(connections)))
    print(json.dumps({"first": first}), flush=True)
    await pool.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
'''


def run_pgqueuer(server_url, args, meter, round_number=1):
    url = fresh_database(server_url, f"pgqueuer{round_number}")
    python = sys.executable
    subprocess.run([python, "-m", "pgqueuer", "--pg-dsn", url, "install"], check=True, capture_output=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    consumer = subprocess.Popen([python, "-c", PGQUEUER_CONSUMER, url, str(args.jobs), "pgqueuer-bench"],
                                stdout=subprocess.PIPE, text=True, env=env)
    assert consumer.stdout.readline().strip() == "ready"
    meter.start()
    producer = subprocess.run([python, "-c", PGQUEUER_PRODUCER, url, str(args.jobs), str(args.connections), "pgqueuer-bench"],
                              check=True, capture_output=True, text=True, env=env)
    finished = json.loads(consumer.stdout.readline())
    cpu = meter.stop()
    consumer.wait(timeout=60)
    first = json.loads(producer.stdout)["first"]
    return summary(finished["spans"], first, finished["last"], len(finished["spans"]), cpu)


class Node:
    def __init__(self, url):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="seek-bench-node-"))
        env = {**os.environ, "SEEK_LOG_LEVEL": "error"}
        self.process = subprocess.Popen([str(SEEK), "serve", "--database-url", url, "--data-dir", str(self.dir), "--port", str(self.port),
                                         "--concurrency", "256"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_healthy(self.url("/healthz"), limit=60)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=120)


def wrk_submits(url, keys, connections, seconds):
    """wrk POSTing echo jobs, each request with the next of `keys` (one per tenant) in turn."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    listed = ", ".join(f'"{key}"' for key in keys)
    script.write(f'wrk.method = "POST"\nwrk.body = \'{{"n":1}}\'\nwrk.headers["Content-Type"] = "application/json"\n'
                 f'local keys = {{{listed}}}\nlocal turn = 0\n'
                 'request = function()\n  turn = turn % #keys + 1\n  wrk.headers["X-Api-Key"] = keys[turn]\n'
                 '  return wrk.format()\nend\n')
    script.close()
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_seek(server_url, nodes_count, args, meter, round_number=1):
    url = fresh_database(server_url, f"seek{nodes_count}_{round_number}")
    env = {**os.environ, "SEEK_DATABASE_URL": url}
    admin = lambda *words: json.loads(subprocess.run([str(SEEK), "admin", *words], env=env, check=True, capture_output=True,
                                                     text=True).stdout or "null")
    keys = []
    for n in range(args.tenants):
        created = admin("workspace", "create", "--name", f"bench-{n}", "--plan", "enterprise", "--credits", "100000000")
        admin("workspace", "update", "--id", created["workspace_id"], "--rate", "100000000", "--burst", "100000000", "--concurrency", "1000")
        keys.append(created["api_key"])
    nodes = [Node(url) for _ in range(nodes_count)]
    try:
        meter.start()
        loads = [wrk_submits(node.url("/v1/workers/echo/jobs"), keys, args.connections // nodes_count, args.seconds)
                 for node in nodes]
        for load in loads:
            load.wait()
        deadline = time.monotonic() + 600
        while int(psql(url, "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")) > 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the queue did not drain")
            time.sleep(0.2)
        cpu = meter.stop()
    finally:
        for node in nodes:
            node.stop()
    rows = [line.split(",") for line in psql(url, "SELECT created_at, completed_at FROM jobs WHERE status = 'completed'").split()]
    created_ms, completed_ms = [int(r[0]) for r in rows], [int(r[1]) for r in rows]
    spans = [done - made for made, done in zip(created_ms, completed_ms)]
    total = int(psql(url, "SELECT count(*) FROM jobs"))
    result = summary(spans, min(created_ms), max(completed_ms), len(rows), cpu)
    result["all"] = total
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="how long wrk submits to Seek")
    parser.add_argument("--jobs", type=int, default=20000, help="how many jobs pgqueuer's producers enqueue")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tenants", type=int, default=1,
                        help="workspaces Seek's load is spread over, in turn (1: the worst case, every job on one balance row)")
    parser.add_argument("--rounds", type=int, default=1, help="how many times the three runs repeat, in turn")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="seek-bench-postgres-")
    server_url = subprocess.run([str(ROOT / "scripts" / "postgres"), "start", directory], check=True, capture_output=True,
                                text=True).stdout.strip()
    meter = Meter()
    try:
        settings = psql(server_url, "SELECT current_setting('synchronous_commit'), current_setting('fsync'), version()").strip()
        rounds = []
        for round_number in range(1, args.rounds + 1):
            results = []
            for label, run in [("pgqueuer", lambda n: run_pgqueuer(server_url, args, meter, n)),
                               ("Seek, 1 node", lambda n: run_seek(server_url, 1, args, meter, n)),
                               ("Seek, 2 nodes", lambda n: run_seek(server_url, 2, args, meter, n))]:
                print(f"round {round_number}: {label}…", file=sys.stderr, flush=True)
                results.append((label, run(round_number)))
                print(f"round {round_number}: {label}: {results[-1][1]['jobs_per_s']:.0f} jobs/s", file=sys.stderr, flush=True)
            rounds.append(results)
    finally:
        subprocess.run([str(ROOT / "scripts" / "postgres"), "stop", directory])
    print(f"PostgreSQL: synchronous_commit, fsync, version = {settings}; Seek's load over {args.tenants} workspace(s)\n")
    print("| round | run | jobs completed | jobs/s | created→completed p50 | p99 | CPU s per 1,000 jobs | ÷ pgqueuer |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = {}
    for round_number, results in enumerate(rounds, 1):
        base = results[0][1]["jobs_per_s"]
        for label, r in results:
            cpu = ", ".join(f"{part} {seconds:.2f}" for part, seconds in r["cpu"].items())
            ratio = r["jobs_per_s"] / base
            if label != "pgqueuer":
                ratios.setdefault(label, []).append(ratio)
            print(f"| {round_number} | {label} | {r['jobs']:,} | {r['jobs_per_s']:,.0f} | {r['p50']:.0f} ms | {r['p99']:.0f} ms | {cpu} "
                  f"| {'' if label == 'pgqueuer' else f'{ratio:.2f}×'} |")
    for label, values in ratios.items():
        print(f"\n{label} ÷ pgqueuer: median {statistics.median(values):.2f}× of {', '.join(f'{v:.2f}×' for v in values)}", end="")
    print()


if __name__ == "__main__":
    main()
