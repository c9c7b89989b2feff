#!/usr/bin/env python3
"""Addresses syntax-checked per second: Seek's email validator against PyPI's email-validator, on the same
list in the same run (a benchmark). Needs `swift build -c release --product email-bench` and email-validator
(blackbox/requirements.txt). Usage: bench/email_syntax.py [--count 200000]
"""
import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "blackbox"))
from test_email_validator import corpus  # noqa: E402
from email_validator import EmailNotValidError, validate_email  # noqa: E402

BENCH = Path(__file__).resolve().parent.parent / ".build" / "release" / "email-bench"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    # Mostly ordinary addresses, as a real list is, with the test corpus's tricky ones mixed in.
    random.seed(7)
    tricky = corpus()
    names = ["jane", "john.smith", "a.b+tag", "info", "sales-team", "x_y", "émile", "用户"]
    domains = ["example.com", "mail.example.co.uk", "bücher.example", "gmail.com", "sub.domain.example.org"]
    addresses = [random.choice(tricky) if n % 10 == 0 else f"{random.choice(names)}{n}@{random.choice(domains)}" for n in range(args.count)]
    path = Path(tempfile.mkdtemp()) / "addresses.txt"
    path.write_text("\n".join(a.replace("\n", " ") for a in addresses))
    seek = json.loads(subprocess.run([str(BENCH), str(path)], check=True, capture_output=True, text=True).stdout)
    lines = path.read_text().split("\n")
    started = time.perf_counter()
    valid = 0
    for address in lines:
        try:
            validate_email(address, check_deliverability=False, allow_quoted_local=True, allow_domain_literal=True)
            valid += 1
        except EmailNotValidError:
            pass
    python_seconds = time.perf_counter() - started
    seek_rate, python_rate = seek["addresses"] / seek["seconds"], len(lines) / python_seconds
    print("| measure | Seek | email-validator | ratio |\n|---|---|---|---|")
    print(f"| {len(lines):,} addresses, syntax only | {seek_rate:,.0f} /s ({seek['valid']:,} valid) | {python_rate:,.0f} /s ({valid:,} valid) | "
          f"{seek_rate / python_rate:.1f}× (target ≥ 10×) |")


if __name__ == "__main__":
    sys.exit(main())
