"""Webhooks over real sockets: signatures checked by the Standard Webhooks library and by hand,
retries on the seed's schedule, secret rotation, crash recovery and the SSRF guard."""
import base64
import hashlib
import hmac
import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conftest import Client, admin

ALLOW_PRIVATE = "--allow-private-webhooks"


def seek_signature_valid(secret: str, headers: dict, body: bytes) -> bool:
    """Checks seed 000's `X-SeekAPI-Signature: t=…,v1=…` with nothing but hmac: true if any v1 matches."""
    parts = [p.split("=", 1) for p in headers["x-seekapi-signature"].split(",")]
    timestamp = next(v for k, v in parts if k == "t")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


def workspace(data_dir, server, credits=100):
    created = admin(data_dir, "workspace", "create", "--name", "hooks", "--plan", "pro", "--credits", str(credits))
    client = Client(server, created["api_key"])
    return client, client.request("GET", "/v1/me/webhook-secret").json()["secret"]


def by_job(requests):
    return {json.loads(r["body"])["job_uuid"]: r for r in requests}


def test_deliveries_verify_with_standard_webhooks_and_by_hand(data_dir, start, receivers):
    receiver = receivers()
    server = start(ALLOW_PRIVATE, "--concurrency", "1")
    client, secret = workspace(data_dir, server)
    completed = client.submit("echo", {"hello": "world", "webhook": receiver.url}).json()["job_uuid"]
    timed_out = client.submit("sleep", {"ms": 5000, "timeout_s": 1, "webhook": receiver.url}).json()["job_uuid"]
    blocker = client.submit("sleep", {"ms": 3000}).json()["job_uuid"]
    cancelled = client.submit("echo", {"webhook": receiver.url}).json()["job_uuid"]
    assert client.request("DELETE", f"/v1/jobs/{cancelled}").status_code == 200

    requests = by_job(receiver.wait_until(lambda rs: len(rs) >= 3))
    assert set(requests) == {completed, timed_out, cancelled}
    for job_id, expected in [(completed, "completed"), (timed_out, "timeout"), (cancelled, "cancelled")]:
        request = requests[job_id]
        payload = Webhook(secret).verify(request["body"], request["headers"])
        assert seek_signature_valid(secret, request["headers"], request["body"])
        assert payload["event"] == f"job.{expected}" and payload["status"] == expected and payload["job_uuid"] == job_id
        assert set(payload) == {"event", "job_uuid", "status", "result", "error", "cost_credits", "fired_at"}
        assert request["headers"]["webhook-id"].startswith("whd_")
        assert request["headers"]["content-type"] == "application/json"
    assert json.loads(requests[completed]["body"])["result"]["data"] == {"hello": "world"}
    assert json.loads(requests[completed]["body"])["cost_credits"] == 1
    assert json.loads(requests[timed_out]["body"])["error"]["code"] == "timeout"

    # A signature made with any other secret, or over other bytes, is refused by the same checks.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(requests[completed]["body"], requests[completed]["headers"])
    assert not seek_signature_valid(secret, requests[completed]["headers"], requests[completed]["body"] + b" ")

    client.wait_terminal(blocker)
    for job_id in requests:
        client.wait_webhook(job_id)
    job = client.job(completed)
    assert job["webhook"] == {"url": receiver.url, "state": "delivered", "attempts": 1}
    log = client.request("GET", f"/v1/jobs/{completed}/webhook-deliveries").json()["data"]
    assert len(log) == 1 and log[0]["status_code"] == 200 and log[0]["error"] is None and log[0]["duration_ms"] >= 0
    metrics = client.request("GET", "/metrics").text
    assert 'seek_webhook_attempts_total{result="2xx"} 3' in metrics
    assert "seek_webhook_first_attempt_lag_seconds_count 3" in metrics


def test_a_500_is_retried_5_seconds_later_with_the_same_webhook_id(data_dir, start, receivers):
    receiver = receivers(lambda attempt, headers: 500 if attempt == 1 else 200)
    server = start(ALLOW_PRIVATE)
    client, secret = workspace(data_dir, server)
    job_id = client.submit("echo", {"webhook": receiver.url}).json()["job_uuid"]
    first, second = receiver.wait_until(lambda rs: len(rs) >= 2, limit=30)[:2]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    assert 4.0 <= second["at"] - first["at"] <= 6.0, second["at"] - first["at"]
    for attempt in (first, second):
        Webhook(secret).verify(attempt["body"], attempt["headers"])
    assert client.wait_webhook(job_id)["webhook"]["attempts"] == 2
    log = client.request("GET", f"/v1/jobs/{job_id}/webhook-deliveries").json()["data"]
    assert [(a["status_code"], a["error"]) for a in log] == [(500, "HTTP 500"), (200, None)]


def test_during_a_rotation_each_secret_alone_verifies(data_dir, start, receivers):
    receiver = receivers()
    server = start(ALLOW_PRIVATE)
    client, old = workspace(data_dir, server)
    new = client.request("POST", "/v1/me/webhook-secret/rotate").json()["secret"]
    assert new != old
    client.submit("echo", {"webhook": receiver.url})
    request = receiver.wait_until(lambda rs: len(rs) >= 1)[0]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(request["body"], request["headers"])
        assert seek_signature_valid(secret, request["headers"], request["body"])
    # Each entry is one secret's: dropping the new one leaves a header only the old secret verifies.
    old_only = {**request["headers"], "webhook-signature": request["headers"]["webhook-signature"].split(" ")[1]}
    Webhook(old).verify(request["body"], old_only)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(request["body"], old_only)


def test_kill_9_loses_no_delivery_and_never_changes_a_webhook_id(data_dir, start, receivers):
    # Every first attempt fails, so at the kill each delivery is waiting for its retry.
    receiver = receivers(lambda attempt, headers: 500 if attempt == 1 else 200)
    env = {"SEEK_WEBHOOK_RETRY_SCHEDULE": "2,2,2"}
    server = start(ALLOW_PRIVATE, "--concurrency", "2", env=env)
    client, _ = workspace(data_dir, server)
    retrying = [client.submit("echo", {"n": n, "webhook": receiver.url}).json()["job_uuid"] for n in range(20)]
    receiver.wait_until(lambda rs: len({json.loads(r["body"])["job_uuid"] for r in rs}) >= 20)
    # These end after the kill: their deliveries are made by the next process.
    later = [client.submit("sleep", {"ms": 3000, "webhook": receiver.url}).json()["job_uuid"] for _ in range(2)]
    server.kill9()

    server = start(ALLOW_PRIVATE, "--concurrency", "2", env=env)
    client = Client(server, client.key)
    everything = set(retrying + later)

    def delivered(rs):
        return {json.loads(r["body"])["job_uuid"] for r in rs if r["status"] == 200} >= everything
    requests = receiver.wait_until(delivered, limit=90)
    ids = {}
    for r in requests:
        ids.setdefault(json.loads(r["body"])["job_uuid"], set()).add(r["headers"]["webhook-id"])
    assert set(ids) == everything
    assert all(len(v) == 1 for v in ids.values()), {k: v for k, v in ids.items() if len(v) > 1}
    assert len({next(iter(v)) for v in ids.values()}) == len(everything), "two jobs shared a webhook-id"
    for job_id in everything:
        client.wait_webhook(job_id)


SSRF_TARGETS = [
    "http://127.0.0.1/", "http://127.8.9.10:8080/x", "http://0.0.0.0/", "http://10.0.0.1/", "http://172.16.0.1/", "http://172.31.255.254/",
    "http://192.168.1.1/", "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/", "http://198.18.0.1/", "http://224.0.0.1/",
    "http://240.0.0.1/", "http://[::1]/", "http://[::]/", "http://[fc00::1]/", "http://[fd00::5]/", "http://[fe80::1]/",
    "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://2130706433/", "http://0x7f.1/",
    "http://017700000001/", "http://localhost/", "http://LOCALHOST:9000/", "https://api.localhost/",
]


def test_private_targets_are_refused_at_submit(data_dir, start):
    server = start()
    client, _ = workspace(data_dir, server)
    for url in SSRF_TARGETS:
        response = client.submit("echo", {"webhook": url})
        assert response.status_code == 400, (url, response.status_code, response.text)
        body = response.json()
        assert body["error"] == "bad_request" and "only delivered to public addresses" in body["message"], (url, body)
    for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1/", "//example.com/x"]:
        assert client.submit("echo", {"webhook": url}).status_code == 400, url
    assert client.request("GET", "/v1/jobs").json()["data"] == [], "a refused job was kept"
    assert client.submit("echo", {"webhook": "http://93.184.216.34/hook"}).status_code == 202
