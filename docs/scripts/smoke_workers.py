#!/usr/bin/env python3
"""Smoke test of every built-in worker (seed 001), Python standard library only.

Submits one job to each built-in worker with an input that works offline, polls it to a terminal state,
checks the result against seed 001's envelope (kind, data or items, meta, files, cost with billing_mode),
prints a table and exits non-zero on any mismatch.

    SEEK_API_KEY=sk_live_… [SEEK_API_BASE=http://127.0.0.1:8080] python3 docs/scripts/smoke_workers.py
"""
import base64
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib

BASE = os.environ.get("SEEK_API_BASE", "http://127.0.0.1:8080").rstrip("/")
KEY = os.environ.get("SEEK_API_KEY", "")


def png(width, height):
    """A small RGB gradient as a PNG, made here so the script needs no file."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 128)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def call(method, path, body=None):
    request = urllib.request.Request(BASE + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"X-Api-Key": KEY, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def check_envelope(job, kind, billing_mode, data_keys=(), item_keys=(), meta_keys=(), files=0):
    """The mismatches between a completed job and seed 001's envelope, as sentences."""
    problems = []
    if job.get("status") != "completed":
        return [f"status {job.get('status')}: {job.get('error')}"]
    result = job.get("result") or {}
    if result.get("kind") != kind:
        problems.append(f"result.kind is {result.get('kind')}, not {kind}")
    if kind == "object":
        if not isinstance(result.get("data"), dict) or result.get("items") != []:
            problems.append("an object result has data and empty items")
        problems += [f"data.{key} is missing" for key in data_keys if key not in (result.get("data") or {})]
    else:
        if result.get("data") is not None or not isinstance(result.get("items"), list):
            problems.append("a list result has data null and items")
        for item in result.get("items") or []:
            problems += [f"an item lacks {key}" for key in item_keys if key not in item]
    if not isinstance(result.get("meta"), dict):
        problems.append("meta is missing")
    problems += [f"meta.{key} is missing" for key in meta_keys if key not in (result.get("meta") or {})]
    if len(job.get("files") or []) != files:
        problems.append(f"{len(job.get('files') or [])} files, not {files}")
    for file in job.get("files") or []:
        problems += [f"a file lacks {key}" for key in ("id", "name", "content_type", "size_bytes", "url") if key not in file]
    cost = job.get("cost") or {}
    problems += [f"cost.{key} is missing" for key in ("total_usd", "run_usd", "infra_usd", "billing_mode") if key not in cost]
    if cost.get("billing_mode") != billing_mode:
        problems.append(f"cost.billing_mode is {cost.get('billing_mode')}, not {billing_mode}")
    return problems


# One case per built-in worker: its input, and what its envelope must hold. Grows as workers arrive.
CASES = [
    ("echo", {"hello": "world"}, dict(kind="object", billing_mode="per_run", data_keys=("hello",))),
    ("sleep", {"ms": 10}, dict(kind="object", billing_mode="per_run")),
    ("image-format-converter", {"image_base64": base64.b64encode(png(64, 48)).decode(), "target_format": "jpeg", "width": 32},
     dict(kind="object", billing_mode="per_run", meta_keys=("ok", "warnings"), files=1,
          data_keys=("source_format", "target_format", "width", "height", "mime_type", "output_filename"))),
    # Syntax only (check_mx false), so that it works offline.
    ("email-validator", {"emails": ["user@example.com", "not an address"], "check_mx": False},
     dict(kind="list", billing_mode="per_event", meta_keys=("processed_count", "error_count"),
          item_keys=("email", "status", "score", "syntax_valid", "mx_found"))),
]


def main():
    if not KEY:
        print("SEEK_API_KEY is not set", file=sys.stderr)
        return 2
    status, listing = call("GET", "/v1/workers?limit=100")
    known = {worker["id"] for worker in (listing or {}).get("data", [])} if status == 200 else set()
    rows, failed = [], 0
    for worker, body, expected in CASES:
        started = time.monotonic()
        if worker not in known:
            problems = [f"not listed by GET /v1/workers (HTTP {status})"]
        else:
            code, accepted = call("POST", f"/v1/workers/{worker}/jobs", body)
            if code != 202:
                problems = [f"submit answered {code}: {accepted}"]
            else:
                job = accepted
                while job.get("status") in ("queued", "running"):
                    if time.monotonic() - started > 120:
                        break
                    time.sleep(0.1)
                    _, job = call("GET", f"/v1/jobs/{accepted['job_uuid']}")
                problems = check_envelope(job, **expected)
        failed += bool(problems)
        rows.append((worker, "ok" if not problems else "FAIL", f"{time.monotonic() - started:.2f} s", "; ".join(problems)))
    width = max(len(row[0]) for row in rows)
    print(f"{'worker'.ljust(width)}  result  time    problems")
    for worker, verdict, elapsed, problems in rows:
        print(f"{worker.ljust(width)}  {verdict.ljust(6)}  {elapsed.ljust(6)}  {problems}")
    print(f"smoke: {len(rows) - failed} of {len(rows)} workers match seed 001")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
