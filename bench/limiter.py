#!/usr/bin/env python3
"""The rate limiter's cost (a benchmark, not a test): req/s of an authenticated GET /v1/me with the limiter
on and off, alternating on one machine so that both see the same conditions.

Needs a release build (swift build -c release --product seek) and wrk. Usage: bench/limiter.py [--rounds 3] [--seconds 10]
"""
import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import Server  # noqa: E402


def measure(limits: str, seconds: int) -> float:
    # Server() gives the workspace limits far above what wrk can send: the limiter runs but never refuses.
    server = Server(4, flags=("--rate-limits", limits))
    out = subprocess.run(["wrk", "-t1", "-c64", f"-d{seconds}s", "-H", f"X-Api-Key: {server.key}", server.url("/v1/me")],
                         check=True, capture_output=True, text=True).stdout
    server.stop()
    assert "Non-2xx" not in out, out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    on, off = [], []
    for _ in range(args.rounds):
        on.append(measure("on", args.seconds))
        off.append(measure("off", args.seconds))
        print(f"on {on[-1]:.0f} req/s, off {off[-1]:.0f} req/s", file=sys.stderr, flush=True)
    ratio = statistics.median(on) / statistics.median(off)
    print("| limiter | GET /v1/me req/s, each round | median |")
    print("|---|---|---|")
    print(f"| on | {', '.join(f'{x:,.0f}' for x in on)} | {statistics.median(on):,.0f} |")
    print(f"| off | {', '.join(f'{x:,.0f}' for x in off)} | {statistics.median(off):,.0f} |")
    print(f"\nOn ÷ off: {100 * ratio:.1f} % (target ≥ 95 %).")


if __name__ == "__main__":
    sys.exit(main())
