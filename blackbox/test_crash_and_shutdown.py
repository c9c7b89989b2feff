"""Nothing accepted is lost: kill -9 and SIGTERM."""
import time

from conftest import Client, admin, balance_matches_ledger


def wait_status(client, job_id, status, limit=30):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if client.job(job_id)["status"] == status:
            return
        time.sleep(0.02)
    raise AssertionError(f"{job_id} never became {status}")


def test_jobs_running_at_kill_9_run_again_after_restart(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "crash", "--plan", "pro", "--credits", "100")
    server = start("--concurrency", "2")
    client = Client(server, created["api_key"])
    running = [client.submit("sleep", {"ms": 5000}).json()["job_uuid"] for _ in range(2)]
    queued = [client.submit("echo", {"n": n}).json()["job_uuid"] for n in range(5)]
    for job_id in running:
        wait_status(client, job_id, "running")
    server.kill9()

    server = start("--concurrency", "4")
    client = Client(server, created["api_key"])
    for job_id in running + queued:
        assert client.wait_terminal(job_id, limit=60)["status"] == "completed"
    entries = balance_matches_ledger(client)
    for job_id in running + queued:
        kinds = sorted(e["type"] for e in entries if e["job_uuid"] == job_id)
        assert kinds == ["charge", "reserve"], f"{job_id}: {kinds}"
    assert client.request("GET", "/v1/me").json()["credits"] == {"balance": 93, "reserved": 0, "available": 93}


def test_sigterm_lets_running_jobs_finish(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "term", "--plan", "pro", "--credits", "10")
    server = start()
    client = Client(server, created["api_key"])
    job_id = client.submit("sleep", {"ms": 1500}).json()["job_uuid"]
    wait_status(client, job_id, "running")
    assert server.terminate() == 0
    server = start()
    job = Client(server, created["api_key"]).job(job_id)
    assert job["status"] == "completed", job


def test_sigterm_past_the_grace_period_requeues(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "grace", "--plan", "pro", "--credits", "10")
    server = start("--shutdown-grace", "1")
    client = Client(server, created["api_key"])
    job_id = client.submit("sleep", {"ms": 8000}).json()["job_uuid"]
    wait_status(client, job_id, "running")
    assert server.terminate() == 0
    server = start()
    client = Client(server, created["api_key"])
    assert client.job(job_id)["status"] in ("queued", "running")
    assert client.wait_terminal(job_id)["status"] == "completed"
