"""Holes a security review found: slow clients, idle connections."""
import socket

import requests

from conftest import Client, admin


def test_a_client_that_never_finishes_its_request_is_cut_off(data_dir, start):
    server = start("--idle-timeout", "1")
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the head's end never comes
        slow.settimeout(30)
        assert slow.recv(1024) == b"", "the server closes the connection instead of waiting for ever"
    with socket.create_connection(("127.0.0.1", server.port)) as idle:
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        idle.settimeout(30)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += idle.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        while chunk := idle.recv(4096):  # the body, then nothing until the idle timeout closes the connection
            assert not chunk.startswith(b"HTTP/")
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200


def test_a_request_in_progress_outlives_the_idle_timeout(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "wait", "--plan", "pro", "--credits", "10")
    server = start("--idle-timeout", "1")
    client = Client(server, created["api_key"])
    held = client.submit("sleep", {"ms": 2500}, headers={"Prefer": "wait=10"})
    assert held.status_code == 200 and held.json()["status"] == "completed"


def test_prefer_wait_has_a_cap_past_which_nothing_is_accepted(data_dir, start):
    import threading
    import time

    created = admin(data_dir, "workspace", "create", "--name", "wait", "--plan", "pro", "--credits", "10")
    server = start("--max-waiting-requests", "1")
    client = Client(server, created["api_key"])
    held = {}
    first = threading.Thread(target=lambda: held.update(answer=client.submit("sleep", {"ms": 3000}, headers={"Prefer": "wait=10"})))
    first.start()
    # The first request holds the only slot once its job exists (the slot is taken before the job is accepted).
    deadline = time.monotonic() + 30
    while not client.request("GET", "/v1/jobs").json()["data"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    refused = client.submit("echo", {"n": 2}, headers={"Prefer": "wait=5"})
    assert refused.status_code == 503 and refused.json()["error"] == "service_unavailable" and refused.headers["Retry-After"] == "1"
    assert len(client.request("GET", "/v1/jobs").json()["data"]) == 1, "a refused submit accepted nothing"
    assert client.submit("echo", {"n": 3}).status_code == 202, "without Prefer: wait the cap does not apply"
    first.join(timeout=30)
    assert held["answer"].status_code == 200
    assert client.submit("echo", {"n": 4}, headers={"Prefer": "wait=5"}).status_code == 200, "the slot is free again"
