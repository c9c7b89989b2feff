#!/usr/bin/env python3
"""image-format-converter against the vips command-line tool, on the same files in the same run (a benchmark).

Conversions per second: JPEG → WebP resized to 800 px wide, `--count` times, through Seek (jobs whose
image_url is an uploaded file; throughput from the jobs table) and through `vips thumbnail` (one process per
image, as many at once as Seek converts). Then the peak memory of one 10,000 × 10,000 JPEG converted, both ways.
Needs a release build (swift build -c release --product seek) and Debian's libvips-tools.
Usage: bench/images.py [--count 200] [--threads 2]
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import Server  # noqa: E402


def make_jpeg(path: Path, width: int, height: int, noisy: bool):
    """A colour photo stand-in made with the vips tool itself: noise (like a photo's detail), or smooth
    gradients (a large image whose file stays under the upload limit)."""
    work = Path(tempfile.mkdtemp())
    if noisy:
        subprocess.run(["vips", "gaussnoise", str(work / "n.v"), str(width), str(height), "--mean", "128", "--sigma", "50"], check=True)
    else:
        subprocess.run(["vips", "xyz", str(work / "xy.v"), str(width), str(height)], check=True)
        subprocess.run(["vips", "remainder_const", str(work / "xy.v"), str(work / "n.v"), "256"], check=True)
    subprocess.run(["vips", "bandjoin", f"{work / 'n.v'} {work / 'n.v'} {work / 'n.v'}", str(work / "all.v")], check=True)
    subprocess.run(["vips", "extract_band", str(work / "all.v"), str(work / "rgb.v"), "0", "--n", "3"], check=True)
    subprocess.run(["vips", "cast", str(work / "rgb.v"), str(path) + "[Q=85]", "uchar"], check=True)
    shutil.rmtree(work)


def call(server, method, path, body=None, data=None, content_type="application/json"):
    request = urllib.request.Request(server.url(path), method=method, data=data if data is not None else json.dumps(body).encode(),
                                     headers={"X-Api-Key": server.key, "Content-Type": content_type})
    return json.loads(urllib.request.urlopen(request, timeout=600).read())


def seek_rate(server, image: Path, count: int) -> float:
    url = call(server, "POST", "/v1/files?name=in.jpg", data=image.read_bytes(), content_type="image/jpeg")["url"]
    job = {"image_url": url, "target_format": "webp", "width": 800, "quality": 80}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: call(server, "POST", "/v1/workers/image-format-converter/jobs", job), range(count)))
    server.drain()
    db = sqlite3.connect(server.dir / "seek.sqlite")
    rows = db.execute("SELECT started_at, completed_at FROM jobs WHERE status = 'completed'").fetchall()
    db.close()
    assert len(rows) == count, f"{len(rows)} of {count} completed"
    return count / ((max(c for _, c in rows) - min(s for s, _ in rows)) / 1000)


def vips_rate(image: Path, count: int, threads: int) -> float:
    out = Path(tempfile.mkdtemp())
    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda n: subprocess.run(["vips", "thumbnail", str(image), str(out / f"{n}.webp[Q=80,strip]"), "800"], check=True,
                                               env={**os.environ, "VIPS_CONCURRENCY": "1"}), range(count)))
    elapsed = time.monotonic() - started
    shutil.rmtree(out)
    return count / elapsed


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    photo, huge = work / "photo.jpg", work / "huge.jpg"
    make_jpeg(photo, 2400, 1600, noisy=True)
    make_jpeg(huge, 10_000, 10_000, noisy=False)
    print(f"inputs: {photo.stat().st_size} and {huge.stat().st_size} bytes", file=sys.stderr, flush=True)

    server = Server(8, flags=("--image-threads", str(args.threads)))
    seek = seek_rate(server, photo, args.count)
    server.stop()
    cli = vips_rate(photo, args.count, args.threads)
    print(f"seek {seek:.1f}/s, vips {cli:.1f}/s", file=sys.stderr, flush=True)

    server = Server(8, flags=("--image-threads", str(args.threads)))
    before = peak_kib(server.process.pid)
    url = call(server, "POST", "/v1/files?name=huge.jpg", data=huge.read_bytes(), content_type="image/jpeg")["url"]
    call(server, "POST", "/v1/workers/image-format-converter/jobs", {"image_url": url, "target_format": "webp", "width": 1000})
    server.drain()
    seek_peak = peak_kib(server.process.pid)
    server.stop()
    # In a process of its own, so that the peak is this conversion's alone.
    measured = subprocess.run([sys.executable, "-c", "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
                               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
                               "vips", "thumbnail", str(huge), str(work / "huge.webp"), "1000"], check=True, capture_output=True, text=True)
    cli_peak = int(measured.stdout.split()[-1])

    print("| measure | Seek | vips CLI | ratio |\n|---|---|---|---|")
    print(f"| 2,400 × 1,600 JPEG → WebP 800 px, {args.count} images, {args.threads} at once | {seek:.1f} images/s | {cli:.1f} images/s | "
          f"{seek / cli:.2f}× (target ≥ 0.9×) |")
    print(f"| 10,000 × 10,000 JPEG → WebP 1,000 px, peak memory | {seek_peak / 1024:.0f} MiB (server, idle {before / 1024:.0f} MiB) | "
          f"{cli_peak / 1024:.0f} MiB (largest vips process) | |")
    shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
