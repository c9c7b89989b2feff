#!/usr/bin/env python3
"""Smoke test of every built-in worker (seed 001), Python standard library only.

Submits one job to each built-in worker with an input that works offline, polls it to a terminal state,
checks the result against seed 001's envelope (kind, data or items, meta, files, cost with billing_mode),
prints a table and exits non-zero on any mismatch.

The web workers (real-estate-listings, linkedin-profile, places-search) read a small site this script
serves itself on 127.0.0.1:SEEK_SMOKE_SITE_PORT (8099 unless set): a listings page, a public profile, and
Nominatim and Overpass answers. The server must trust that one address and use those endpoints:

    seek serve --allow-private-host 127.0.0.1:8099 \
        --nominatim-url http://127.0.0.1:8099/nominatim --overpass-url http://127.0.0.1:8099/overpass/interpreter
    SEEK_API_KEY=sk_live_… [SEEK_API_BASE=http://127.0.0.1:8080] python3 docs/scripts/smoke_workers.py
"""
import base64
import http.server
import json
import os
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib

BASE = os.environ.get("SEEK_API_BASE", "http://127.0.0.1:8080").rstrip("/")
KEY = os.environ.get("SEEK_API_KEY", "")
SITE_PORT = int(os.environ.get("SEEK_SMOKE_SITE_PORT", "8099"))
SITE = f"http://127.0.0.1:{SITE_PORT}"

# The site the web workers read: schema.org JSON-LD as listings sites and public profiles publish it, and the
# shapes of Nominatim's /search and Overpass's JSON answers.
SITE_PAGES = {
    "/robots.txt": ("text/plain", "User-agent: *\nAllow: /\n"),
    "/listings": ("text/html; charset=utf-8", """<!DOCTYPE html><html><head><title>Flats in Lyon</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "ItemList", "numberOfItems": 2, "itemListElement": [
 {"@type": "ListItem", "item": {"@type": "Apartment", "name": "T3 Lyon Centre", "url": "/flat/101", "numberOfRooms": 3,
  "address": {"addressLocality": "Lyon"}, "offers": {"@type": "Offer", "price": 320000, "priceCurrency": "EUR"}}},
 {"@type": "ListItem", "item": {"@type": "House", "name": "Maison Caluire", "url": "/house/102",
  "address": {"addressLocality": "Caluire"}, "offers": {"@type": "Offer", "price": 540000, "priceCurrency": "EUR"}}}]}</script>
</head><body><h1>Flats in Lyon</h1></body></html>"""),
    "/in/jane": ("text/html; charset=utf-8", """<!DOCTYPE html><html><head><title>Jane Doe | LinkedIn</title>
<script type="application/ld+json">{"@context": "http://schema.org", "@type": "Person", "name": "Jane Doe",
 "jobTitle": "Staff Engineer", "address": {"addressLocality": "Lyon", "addressCountry": "FR"},
 "worksFor": [{"@type": "Organization", "name": "Acme"}]}</script></head><body><h1>Jane Doe</h1></body></html>"""),
    "/nominatim/search": ("application/json", json.dumps(
        [{"osm_type": "relation", "osm_id": 7444, "lat": "48.8534951", "lon": "2.3483915", "name": "Paris",
          "display_name": "Paris, Île-de-France, France", "boundingbox": ["48.8155755", "48.9021560", "2.2241220", "2.4697602"]}])),
    "/overpass/interpreter": ("application/json", json.dumps({"version": 0.6, "elements": [
        {"type": "node", "id": 3457284562, "lat": 48.8540241, "lon": 2.3326094,
         "tags": {"amenity": "cafe", "name": "Café de Flore", "addr:street": "Boulevard Saint-Germain", "addr:city": "Paris"}}]})),
}


def serve_site():
    """Serves SITE_PAGES on 127.0.0.1:SITE_PORT until the script ends; None when the port is taken."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            content_type, body = SITE_PAGES.get(self.path.split("?")[0], ("text/plain", None))
            data = (body or "not here").encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", SITE_PORT), Handler)
    except OSError:
        return None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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


def check_envelope(job, kind, billing_mode, data_keys=(), item_keys=(), meta_keys=(), files=0, min_items=0):
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
        if len(result.get("items") or []) < min_items:
            problems.append(f"{len(result.get('items') or [])} items, not at least {min_items}")
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
    ("real-estate-listings", {"search_url": f"{SITE}/listings", "max_items": 10},
     dict(kind="list", billing_mode="per_event", meta_keys=("scraped_at", "total_available", "ads_delivered"), min_items=2,
          item_keys=("id", "title", "price_eur", "location_city"))),
    ("linkedin-profile", {"profile_url": f"{SITE}/in/jane"},
     dict(kind="object", billing_mode="per_run", data_keys=("name", "headline", "location", "current_company", "experience", "education"))),
    ("places-search", {"query": "coffee in Paris", "max_items": 5},
     dict(kind="list", billing_mode="per_event", meta_keys=("total_found",), min_items=1,
          item_keys=("name", "category", "lat", "lon", "address", "opening_hours", "website", "phone", "osm_id", "distance_m"))),
]


def main():
    if not KEY:
        print("SEEK_API_KEY is not set", file=sys.stderr)
        return 2
    if serve_site() is None:
        print(f"port {SITE_PORT} is taken: the web workers' site cannot be served (set SEEK_SMOKE_SITE_PORT)", file=sys.stderr)
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
                if (job.get("error") or {}).get("code") == "fetch_refused":
                    problems.append(f"start the server with --allow-private-host 127.0.0.1:{SITE_PORT} (see this script's docstring)")
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
