#!/usr/bin/env python3
"""The rate limiter's cost (a benchmark, not a test): req/s of an authenticated GET /v1/me on a server with
the limiter on and one with it off. Both servers run for the whole benchmark and take turns under wrk in
short alternating slices, so that the machine's drift (±20 % on this VM) falls on both alike.

With --postgres both servers run on PostgreSQL (a server of the script's own, a database each), where buckets
live in the database and a node leases a tenth of a second's tokens at a time; --keys N spreads the load over N
keys, each its own workspace limited to --key-rate req/s, so that each key's and each workspace's bucket is
leased apart (many slow keys are what costs most there). Both then GET /v1/workers/echo, which reads nothing
from the database, so that what differs is the limiter.

Needs a release build (swift build -c release --product seek) and wrk.
Usage: bench/limiter.py [--pairs 10] [--seconds 3] [--postgres] [--keys 1] [--key-rate 100]
"""
import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, Server  # noqa: E402


def requests_per_second(server, keys, path, seconds: int) -> float:
    """wrk on `path`, each request with the next of `keys` in turn."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    listed = ", ".join(f'"{key}"' for key in keys)
    script.write(f'local keys = {{{listed}}}\nlocal turn = 0\n'
                 'request = function()\n  turn = turn % #keys + 1\n  wrk.headers["X-Api-Key"] = keys[turn]\n  return wrk.format()\nend\n')
    script.close()
    out = subprocess.run(["wrk", "-t1", "-c64", f"-d{seconds}s", "-s", script.name, server.url(path)],
                         check=True, capture_output=True, text=True).stdout
    assert "Non-2xx" not in out, out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def postgres_database(server_url, name):
    subprocess.run(["psql", server_url, "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return server_url.rsplit("/", 1)[0] + "/" + name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="both servers on PostgreSQL, buckets leased from the database")
    parser.add_argument("--keys", type=int, default=1, help="keys the load goes round, each its own workspace")
    parser.add_argument("--key-rate", type=int, default=100, help="each key's limit in req/s with --keys above 1 (burst twice that)")
    args = parser.parse_args()
    postgres_dir = None
    envs = {"on": None, "off": None}
    if args.postgres:
        postgres_dir = tempfile.mkdtemp(prefix="seek-bench-limiter-")
        server_url = subprocess.run([str(ROOT / "scripts" / "postgres"), "start", postgres_dir], check=True, capture_output=True,
                                    text=True).stdout.strip()
        envs = {name: {"SEEK_DATABASE_URL": postgres_database(server_url, f"limiter_{name}")} for name in envs}
    try:
        # Server() gives its workspace limits far above what wrk can send: the limiter runs on every request but never refuses.
        servers = {name: Server(4, flags=("--rate-limits", name), env=envs[name]) for name in ("on", "off")}
        keys = {name: [server.key] for name, server in servers.items()}
        if args.keys > 1:
            keys = {name: [server.workspace(rate=args.key_rate, burst=2 * args.key_rate)[0] for _ in range(args.keys)]
                    for name, server in servers.items()}
        path = "/v1/workers/echo" if args.postgres else "/v1/me"
        measure(args, servers, keys, path)
    finally:
        if postgres_dir:
            subprocess.run([str(ROOT / "scripts" / "postgres"), "stop", postgres_dir])
            shutil.rmtree(postgres_dir, ignore_errors=True)


def measure(args, servers, keys, path):
    for name, server in servers.items():
        requests_per_second(server, keys[name], path, 2)  # warm up
    rates = {"on": [], "off": []}
    for pair in range(args.pairs):
        for name in (("on", "off") if pair % 2 == 0 else ("off", "on")):
            rates[name].append(requests_per_second(servers[name], keys[name], path, args.seconds))
        print(f"pair {pair + 1}: on {rates['on'][-1]:.0f}, off {rates['off'][-1]:.0f} req/s", file=sys.stderr, flush=True)
    for server in servers.values():
        server.stop()
    mean = {name: sum(values) / len(values) for name, values in rates.items()}
    ratios = sorted(on / off for on, off in zip(rates["on"], rates["off"]))
    print(f"{'PostgreSQL' if args.postgres else 'SQLite'}; {args.keys} key(s)"
          + (f" at {args.key_rate} req/s each" if args.keys > 1 else "") + "\n")
    print(f"| limiter | GET {path}, mean req/s | slices |")
    print("|---|---|---|")
    for name in ("on", "off"):
        print(f"| {name} | {mean[name]:,.0f} | {', '.join(f'{x:,.0f}' for x in rates[name])} |")
    print(f"\nOn ÷ off: {100 * mean['on'] / mean['off']:.1f} % of the mean rate; median of the pairs' ratios "
          f"{100 * ratios[len(ratios) // 2]:.1f} % (target ≥ 95 %).")


if __name__ == "__main__":
    sys.exit(main())
