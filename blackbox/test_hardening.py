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


def test_a_name_server_that_never_answers_holds_up_no_other_delivery(data_dir, start, receivers):
    """Webhook hosts under stall.test are asked of a name server that never answers; hooks.test is answered.
    While 40 submits wait on the silent names, a job whose webhook goes to hooks.test is delivered at once,
    and its answer is kept for its TTL: a second delivery asks DNS nothing."""
    import threading

    from conftest import FixtureDNS

    dns = FixtureDNS({"hooks.test": [("A", "127.0.0.1")]}, silent=(".stall.test",))
    receiver = receivers()
    port = receiver.server.server_address[1]
    created = admin(data_dir, "workspace", "create", "--name", "dns", "--plan", "pro", "--credits", "1000")
    server = start("--allow-private-host", f"hooks.test:{port}", env={"SEEK_DNS_SERVER": f"127.0.0.1:{dns.port}"})
    client = Client(server, created["api_key"])
    try:
        answers = []
        stalled = [
            threading.Thread(target=lambda i=i: answers.append(client.submit("echo", {"webhook": f"http://h{i}.stall.test/hook"})))
            for i in range(40)
        ]
        for thread in stalled:
            thread.start()
        # A submit refused before its lookup (a 429 once made this test flaky on PostgreSQL, where a key's
        # simultaneous requests each took a rate-limit lease of their own) ends the wait and is reported.
        refused = lambda: [(answer.status_code, answer.text) for answer in answers if answer.status_code != 202]
        dns.wait_until(lambda questions: len({name for name, _ in questions if name.endswith(".stall.test")}) >= 40 or refused())
        assert not refused(), refused()

        first = client.submit("echo", {"webhook": f"http://hooks.test:{port}/hook"}).json()["job_uuid"]
        receiver.wait_until(lambda requests: len(requests) == 1, limit=20)
        assert not all(not thread.is_alive() for thread in stalled), "delivered while the silent lookups were still waiting"
        assert client.wait_webhook(first)["webhook"]["attempts"] == 1

        second = client.submit("echo", {"webhook": f"http://hooks.test:{port}/hook"}).json()["job_uuid"]
        client.wait_webhook(second)
        assert dns.questions.count(("hooks.test", "A")) == 1, "the second delivery used the cached answer"

        for thread in stalled:
            thread.join(timeout=60)
        # A name that cannot be resolved now is accepted (every attempt checks again before it connects).
        assert len(answers) == 40 and all(answer.status_code == 202 for answer in answers)
    finally:
        dns.close()
