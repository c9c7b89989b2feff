"""Black-box tests: the real `seek` binary, started on 127.0.0.1 with its own data directory."""
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SEEK = Path(os.environ.get("SEEK_BIN", ROOT / ".build" / "debug" / "seek"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin(data_dir, *args) -> dict:
    """Runs `seek admin …` and returns the JSON line it prints."""
    out = subprocess.run([str(SEEK), "admin", *args, "--data-dir", str(data_dir)], check=True, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


class Server:
    """One `seek serve` process."""

    def __init__(self, data_dir: Path, *flags: str, env: dict | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.flags = flags
        self.env = env or {}
        self.process = None
        self.log = data_dir / f"serve-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        env = {**os.environ, "SEEK_LOG_LEVEL": "warning", **self.env}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(SEEK), "serve", "--data-dir", str(self.data_dir), "--port", str(self.port), *self.flags],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env)
        self.wait_ready()
        return self

    def wait_ready(self, limit: float = 60):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"seek serve exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("seek serve did not become ready")

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


class Client:
    """Requests with one workspace's key."""

    def __init__(self, server: Server, key: str):
        self.server, self.key = server, key

    def request(self, method, path, **kwargs):
        headers = {"X-Api-Key": self.key, **kwargs.pop("headers", {})}
        return requests.request(method, self.server.url + path, headers=headers, timeout=90, **kwargs)

    def submit(self, worker, body, **kwargs):
        return self.request("POST", f"/v1/workers/{worker}/jobs", json=body, **kwargs)

    def job(self, job_id):
        return self.request("GET", f"/v1/jobs/{job_id}").json()

    def wait_terminal(self, job_id, limit=60):
        """Waits for the job's end through the server's own Prefer-wait mechanism, polling as a fallback."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] in ("completed", "failed", "timeout", "cancelled"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} still {job['status']}")

    def wait_webhook(self, job_id, state="delivered", limit=60):
        """Waits until the job's webhook reaches `state`; the receiver sees a request before Seek logs it."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if (job.get("webhook") or {}).get("state") == state:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id}'s webhook is {job.get('webhook')}")

    def ledger(self):
        entries, cursor = [], None
        while True:
            page = self.request("GET", "/v1/me/credits", params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
            entries += page["data"]
            if not page["has_more"]:
                return page, entries
            cursor = page["next_cursor"]


# With SEEK_TEST_STORE=postgres (scripts/test runs the suite a second time so), every test gets a fresh database on
# the PostgreSQL server the test command started (SEEK_TEST_POSTGRES_URL); `seek serve` and `seek admin` find it in
# SEEK_DATABASE_URL. The data directory still holds the node's id, its lock and files.
STORE = os.environ.get("SEEK_TEST_STORE", "sqlite")


def fresh_postgres_database() -> str:
    base = os.environ["SEEK_TEST_POSTGRES_URL"]
    name = "bb_" + os.urandom(8).hex()
    subprocess.run(["psql", base, "-qAtc", f"CREATE DATABASE {name}"], check=True, capture_output=True, timeout=60)
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    if STORE == "postgres":
        monkeypatch.setenv("SEEK_DATABASE_URL", fresh_postgres_database())
    return tmp_path / "seek-data"


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def start(data_dir, servers):
    def _start(*flags, env=None, directory=None):
        server = Server(directory or data_dir, *flags, env=env).start()
        servers.append(server)
        return server
    return _start


def balance_matches_ledger(client: Client):
    """The balance the API reports equals the sum of the ledger's entries."""
    page, entries = client.ledger()
    moves = {"grant": (1, 0), "topup": (1, 0), "reserve": (0, 1), "charge": (-1, -1), "release": (0, -1), "expire": (-1, 0), "earning": (1, 0)}
    balance = sum(moves[e["type"]][0] * e["amount"] for e in entries)
    reserved = sum(moves[e["type"]][1] * e["amount"] for e in entries)
    assert (page["balance"], page["reserved"]) == (balance, reserved)
    return entries


class Receiver:
    """A webhook receiver on 127.0.0.1 that records every request; `respond(attempt, headers)` picks the
    status, where `attempt` counts this webhook-id's requests from 1."""

    def __init__(self, respond=lambda attempt, headers: 200):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.changed:
                    attempt = 1 + sum(1 for r in receiver.requests if r["headers"].get("webhook-id") == headers.get("webhook-id"))
                    status = respond(attempt, headers)
                    receiver.requests.append({"at": time.monotonic(), "headers": headers, "body": body, "status": status})
                    receiver.changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_until(self, predicate, limit: float = 60):
        """Waits, on the receiver's own notifications, until `predicate(requests)` holds."""
        deadline = time.monotonic() + limit
        with self.changed:
            while not predicate(self.requests):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"receiver condition not met; {len(self.requests)} requests so far")
                self.changed.wait(remaining)
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = []

    def _make(respond=lambda attempt, headers: 200):
        receiver = Receiver(respond)
        made.append(receiver)
        return receiver
    yield _make
    for receiver in made:
        receiver.close()


class FixtureDNS:
    """A UDP DNS server on 127.0.0.1 answering from `zones` (name → [("A", "192.0.2.1"), ("MX", 10, host)…],
    TTL 60 s); a name absent there is NXDOMAIN, one in `servfail` SERVFAIL, and a question about a name
    ending in one of `silent` is read and never answered. It records every question it gets."""

    def __init__(self, zones, servfail=(), silent=()):
        import threading

        self.zones, self.servfail, self.silent = zones, set(servfail), tuple(silent)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.questions = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A, DNSRecord

        rdata = {"A": lambda r: A(r[1]), "AAAA": lambda r: AAAA(r[1]), "MX": lambda r: MX(r[2], r[1]), "TXT": lambda r: TXT(r[1])}
        while True:
            try:
                data, peer = self.socket.recvfrom(4096)
            except OSError:
                return
            request = DNSRecord.parse(data)
            name, qtype = str(request.q.qname).rstrip(".").lower(), QTYPE[request.q.qtype]
            with self.changed:
                self.questions.append((name, qtype))
                self.changed.notify_all()
            if self.silent and name.endswith(self.silent):
                continue
            reply = request.reply()
            if name in self.servfail:
                reply.header.rcode = RCODE.SERVFAIL
            elif name not in self.zones:
                reply.header.rcode = RCODE.NXDOMAIN
            else:
                for record in self.zones[name]:
                    if record[0] == qtype:
                        reply.add_answer(RR(name, getattr(QTYPE, qtype), rdata=rdata[qtype](record), ttl=60))
            self.socket.sendto(reply.pack(), peer)

    def wait_until(self, predicate, limit: float = 60):
        """Waits, on the server's own notifications, until `predicate(questions)` holds."""
        deadline = time.monotonic() + limit
        with self.changed:
            while not predicate(self.questions):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"DNS condition not met; {len(self.questions)} questions so far"
                self.changed.wait(remaining)

    def close(self):
        self.socket.close()
