"""Hostile input over real sockets: a clear error, never a 500, never a crash."""
import pytest
import requests

from conftest import Client, admin


@pytest.fixture
def client(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "bad", "--plan", "pro", "--credits", "10")
    return Client(start(), created["api_key"])


def check_error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["status"] == status and body["message"] and body["request_id"]


def test_oversized_body_is_413(client):
    body = b'{"blob":"' + b"a" * (2 << 20) + b'"}'
    check_error(client.request("POST", "/v1/workers/echo/jobs", data=body), 413, "payload_too_large")


def test_deep_nesting_is_400(client):
    check_error(client.request("POST", "/v1/workers/echo/jobs", data=b"[" * 10000 + b"]" * 10000), 400, "bad_request")


@pytest.mark.parametrize("body", [b"{", b"not json", b"[1,2]", b"\xff\xfe", b'{"priority":"urgent"}', b'{"timeout_s":"1"}'])
def test_malformed_bodies_are_400(client, body):
    check_error(client.request("POST", "/v1/workers/echo/jobs", data=body), 400, "bad_request")


def test_unknown_worker_and_bad_ids_are_404(client):
    check_error(client.submit("no-such-worker", {}), 404, "not_found")
    check_error(client.request("GET", "/v1/jobs/job_not-a-ulid"), 404, "not_found")
    check_error(client.request("GET", "/v1/jobs/%00%ff"), 404, "not_found")


def test_missing_invalid_and_revoked_keys_are_401(client):
    url = client.server.url + "/v1/me"
    check_error(requests.get(url), 401, "unauthorized")
    check_error(requests.get(url, headers={"X-Api-Key": "sk_live_nope"}), 401, "unauthorized")
    second = client.request("POST", "/v1/me/keys", json={"name": "temp"}).json()
    assert client.request("DELETE", f"/v1/me/keys/{second['id']}").status_code == 200
    response = requests.get(url, headers={"X-Api-Key": second["key"]})
    check_error(response, 401, "unauthorized")
    assert response.json()["message"] == "Missing or invalid X-Api-Key header."


def test_the_server_survives_and_keeps_accepted_jobs(client):
    job_id = client.submit("echo", {"kept": True}).json()["job_uuid"]
    for _ in range(3):
        client.request("POST", "/v1/workers/echo/jobs", data=b"[" * 10000)
    assert client.wait_terminal(job_id)["result"]["data"] == {"kept": True}
