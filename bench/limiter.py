#!/usr/bin/env python3
"""The rate limiter's cost (a benchmark, not a test): req/s of an authenticated GET /v1/me on a server with
the limiter on and one with it off. Both servers run for the whole benchmark and take turns under wrk in
short alternating slices, so that the machine's drift (±20 % on this VM) falls on both alike.

Needs a release build (swift build -c release --product seek) and wrk.
Usage: bench/limiter.py [--pairs 10] [--seconds 3]
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import Server  # noqa: E402


def requests_per_second(server, seconds: int) -> float:
    out = subprocess.run(["wrk", "-t1", "-c64", f"-d{seconds}s", "-H", f"X-Api-Key: {server.key}", server.url("/v1/me")],
                         check=True, capture_output=True, text=True).stdout
    assert "Non-2xx" not in out, out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    # Server() gives the workspace limits far above what wrk can send: the limiter runs on every request but never refuses.
    servers = {"on": Server(4, flags=("--rate-limits", "on")), "off": Server(4, flags=("--rate-limits", "off"))}
    for server in servers.values():
        requests_per_second(server, 2)  # warm up
    rates = {"on": [], "off": []}
    for pair in range(args.pairs):
        for name in (("on", "off") if pair % 2 == 0 else ("off", "on")):
            rates[name].append(requests_per_second(servers[name], args.seconds))
        print(f"pair {pair + 1}: on {rates['on'][-1]:.0f}, off {rates['off'][-1]:.0f} req/s", file=sys.stderr, flush=True)
    for server in servers.values():
        server.stop()
    mean = {name: sum(values) / len(values) for name, values in rates.items()}
    ratios = sorted(on / off for on, off in zip(rates["on"], rates["off"]))
    print("| limiter | GET /v1/me, mean req/s | slices |")
    print("|---|---|---|")
    for name in ("on", "off"):
        print(f"| {name} | {mean[name]:,.0f} | {', '.join(f'{x:,.0f}' for x in rates[name])} |")
    print(f"\nOn ÷ off: {100 * mean['on'] / mean['off']:.1f} % of the mean rate; median of the pairs' ratios "
          f"{100 * ratios[len(ratios) // 2]:.1f} % (target ≥ 95 %).")


if __name__ == "__main__":
    sys.exit(main())
