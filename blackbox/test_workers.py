"""The seed's built-in workers over HTTP, and the smoke script of docs/scripts against a real server."""
import base64
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import requests

from conftest import Client, admin, balance_matches_ledger, free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "scripts"))
from smoke_workers import png  # noqa: E402


def workspace(data_dir, credits=1000):
    return admin(data_dir, "workspace", "create", "--name", "images", "--plan", "pro", "--credits", str(credits))


def jpeg_size(data: bytes):
    """Width and height from a JPEG's first SOF marker: enough to know the bytes are the asked JPEG."""
    assert data[:2] == b"\xff\xd8", "a JPEG starts with SOI"
    index = 2
    while index < len(data):
        marker, length = data[index + 1], struct.unpack(">H", data[index + 2:index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    raise AssertionError("no SOF marker")


def test_smoke_script_passes(data_dir, start):
    created = workspace(data_dir)
    site = f"127.0.0.1:{free_port()}"
    server = start("--allow-private-host", site, "--fetch-delay-ms", "0", "--nominatim-url", f"http://{site}/nominatim",
                   "--overpass-url", f"http://{site}/overpass/interpreter")
    run = subprocess.run([sys.executable, str(ROOT / "docs" / "scripts" / "smoke_workers.py")], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SEEK_API_KEY": created["api_key"], "SEEK_API_BASE": server.url,
                              "SEEK_SMOKE_SITE_PORT": site.split(":")[1]})
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for worker in ("echo", "sleep", "image-format-converter", "email-validator", "real-estate-listings", "linkedin-profile", "places-search"):
        assert any(line.split()[:2] == [worker, "ok"] for line in lines), run.stdout
    assert "smoke: 7 of 7 workers match seed 001" in run.stdout


def test_smoke_script_names_the_missing_setting(data_dir, start):
    created = workspace(data_dir)
    port, closed = free_port(), free_port()
    # No traffic leaves the machine: the OSM endpoints are a closed port of 127.0.0.1, and the guard refuses the
    # script's own pages, as it refuses any private address nobody trusted.
    server = start("--nominatim-url", f"http://127.0.0.1:{closed}/nominatim", "--overpass-url", f"http://127.0.0.1:{closed}/overpass/interpreter")
    run = subprocess.run([sys.executable, str(ROOT / "docs" / "scripts" / "smoke_workers.py")], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SEEK_API_KEY": created["api_key"], "SEEK_API_BASE": server.url, "SEEK_SMOKE_SITE_PORT": str(port)})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "smoke: 4 of 7 workers match seed 001" in run.stdout
    refused = [line for line in run.stdout.splitlines() if f"--allow-private-host 127.0.0.1:{port}" in line]
    assert [line.split()[0] for line in refused] == ["real-estate-listings", "linkedin-profile"], run.stdout


def test_image_from_an_uploaded_file(data_dir, start):
    created = workspace(data_dir)
    server = start()
    client = Client(server, created["api_key"])
    uploaded = client.request("POST", "/v1/files?name=photo.png", data=png(160, 120), headers={"Content-Type": "image/png"})
    assert uploaded.status_code == 201, uploaded.text
    job = client.wait_terminal(client.submit("image-format-converter", {"image_url": uploaded.json()["url"], "target_format": "jpeg",
                                                                         "width": 80, "quality": 70}).json()["job_uuid"])
    assert job["status"] == "completed", job
    assert job["result"] == {"kind": "object", "items": [], "meta": {"ok": True, "warnings": []},
                             "data": {"source_format": "png", "target_format": "jpeg", "width": 80, "height": 60,
                                      "mime_type": "image/jpeg", "output_filename": "converted.jpg"}}
    assert job["cost"] == {"total_usd": 0.0005, "run_usd": 0.0005, "infra_usd": 0.0, "billing_mode": "per_run"} and job["cost_credits"] == 5
    [file] = job["files"]
    assert file["name"] == "converted.jpg" and file["content_type"] == "image/jpeg"
    downloaded = requests.get(file["url"], timeout=30)
    assert downloaded.status_code == 200 and len(downloaded.content) == file["size_bytes"]
    assert jpeg_size(downloaded.content) == (80, 60)
    balance_matches_ledger(client)


def test_bad_images_fail_clearly_and_cost_nothing(data_dir, start):
    created = workspace(data_dir)
    server = start()
    client = Client(server, created["api_key"])

    def declaring(width, height):
        """A PNG of a few dozen bytes whose header declares width × height pixels: a decompression bomb's shape."""
        chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")

    cases = {"image_too_large": declaring(50_000, 50_000), "invalid_image": b"plain text, not a picture",
             "conversion_failed": png(300, 300)[:400]}
    for code, data in cases.items():
        job = client.wait_terminal(client.submit("image-format-converter", {"image_base64": base64.b64encode(data).decode(),
                                                                             "target_format": "png"}).json()["job_uuid"])
        assert job["status"] == "failed" and job["error"]["code"] == code and job["cost_credits"] == 0, job
    refused = client.submit("image-format-converter", {"image_base64": "aGk=", "target_format": "bmp"})
    assert refused.status_code == 422 and refused.json()["details"][0]["path"] == "/target_format", refused.text
    not_http = client.wait_terminal(client.submit("image-format-converter", {"image_url": "ftp://files.example.com/a.png",
                                                                              "target_format": "png"}).json()["job_uuid"])
    assert not_http["status"] == "failed" and not_http["error"]["code"] == "fetch_refused" and not_http["cost_credits"] == 0
    balance_matches_ledger(client)


def test_image_url_on_another_host_is_fetched_through_the_guard(data_dir, tmp_path, start):
    import http.server
    import threading

    image = png(120, 90)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/pictures/cat.png")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args):
            pass

    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{http_server.server_address[1]}"
    try:
        created = workspace(data_dir)
        guarded = Client(start(), created["api_key"])
        refused = guarded.wait_terminal(guarded.submit("image-format-converter", {"image_url": f"{origin}/moved", "target_format": "png"}).json()["job_uuid"])
        assert refused["status"] == "failed" and refused["error"]["code"] == "fetch_refused", refused
        assert "127.0.0.1" in refused["error"]["message"] and refused["cost_credits"] == 0

        other = workspace(tmp_path / "open", 1000)
        open_server = start("--allow-private-webhooks", directory=tmp_path / "open")
        allowed = Client(open_server, other["api_key"])
        done = allowed.wait_terminal(allowed.submit("image-format-converter", {"image_url": f"{origin}/moved", "target_format": "webp"}).json()["job_uuid"])
        assert done["status"] == "completed", done
        assert done["result"]["data"]["source_format"] == "png" and done["result"]["data"]["width"] == 120
    finally:
        http_server.shutdown()
