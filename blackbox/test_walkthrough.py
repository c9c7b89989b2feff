"""The README's walk-through, over real sockets."""
import json
import time

from conftest import Client, admin, balance_matches_ledger


def test_walkthrough(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "acme", "--plan", "pro", "--credits", "20")
    assert created["workspace_id"].startswith("ws_") and created["api_key"].startswith("sk_live_")
    server = start("--concurrency", "1")
    client = Client(server, created["api_key"])

    me = client.request("GET", "/v1/me").json()
    assert me["credits"] == {"balance": 20, "reserved": 0, "available": 20}

    accepted = client.submit("echo", {"hello": "world"})
    assert accepted.status_code == 202
    assert accepted.headers["Location"] == f"/v1/jobs/{accepted.json()['job_uuid']}"
    done = client.wait_terminal(accepted.json()["job_uuid"])
    assert done["status"] == "completed" and done["result"]["data"] == {"hello": "world"}

    waited = client.submit("sleep", {"ms": 100}, headers={"Prefer": "wait=30"})
    assert waited.status_code == 200 and waited.json()["status"] == "completed"

    # With one slot busy, the next job waits in the queue and can be cancelled.
    busy = client.submit("sleep", {"ms": 3000}).json()["job_uuid"]
    queued = client.submit("echo", {"n": 2}).json()["job_uuid"]
    cancelled = client.request("DELETE", f"/v1/jobs/{queued}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.request("DELETE", f"/v1/jobs/{queued}").status_code == 409
    assert client.wait_terminal(busy)["status"] == "completed"

    entries = balance_matches_ledger(client)
    assert [e["type"] for e in entries if e["job_uuid"] == queued] == ["release", "reserve"]
    assert client.request("GET", "/v1/me").json()["credits"] == {"balance": 17, "reserved": 0, "available": 17}


def test_admin_commands_work_while_serving(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "live", "--plan", "pro", "--credits", "5")
    server = start()
    client = Client(server, created["api_key"])
    topped = admin(data_dir, "credits", "add", "--workspace", created["workspace_id"], "--credits", "95")
    assert topped["balance"] == 100
    assert client.request("GET", "/v1/me").json()["credits"]["balance"] == 100
    second = admin(data_dir, "workspace", "create", "--name", "while-serving")
    assert Client(server, second["api_key"]).request("GET", "/v1/me").json()["credits"]["balance"] == 100  # free plan's grant


def test_a_second_server_on_the_same_data_is_refused(data_dir, start):
    from conftest import Server
    start()
    second = Server(data_dir)
    try:
        second.start()
        raise AssertionError("a second server started on the same data directory")
    except RuntimeError as error:
        assert "another `seek serve` is using" in second.log.read_text()
    finally:
        second.stop()


def test_configuration_from_environment(data_dir, servers):
    from conftest import Server, free_port
    server = Server(data_dir)
    server.port = free_port()
    import os, subprocess
    from conftest import SEEK
    env = {**os.environ, "SEEK_PORT": str(server.port), "SEEK_DATA_DIR": str(data_dir), "SEEK_LOG_LEVEL": "warning"}
    data_dir.mkdir(parents=True, exist_ok=True)
    server.process = subprocess.Popen([str(SEEK), "serve"], env=env, stdout=open(server.log, "ab"), stderr=subprocess.STDOUT)
    servers.append(server)
    server.wait_ready()
    # The store is the one the environment names: SQLite in SEEK_DATA_DIR, unless SEEK_DATABASE_URL names PostgreSQL.
    assert (data_dir / "seek.sqlite").exists() == ("SEEK_DATABASE_URL" not in os.environ)


def test_logs_are_one_json_object_per_line(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "acme", "--plan", "pro", "--credits", "5")
    server = start(env={"SEEK_LOG_LEVEL": "info"})
    answer = Client(server, created["api_key"]).request("GET", "/v1/me", headers={"X-Request-Id": "walk-1"})
    assert answer.status_code == 200
    # The access line is written after the response: wait for it rather than for a while.
    deadline = time.monotonic() + 30
    while not any('"walk-1"' in line for line in server.log.read_text().splitlines()):
        assert time.monotonic() < deadline, "no log line for the request"
        time.sleep(0.05)
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.strip()]
    assert all({"time", "level", "message", "logger"} <= line.keys() for line in lines)
    access = next(line for line in lines if line.get("request_id") == "walk-1")
    assert (access["level"], access["message"], access["method"], access["path"], access["status"]) == \
        ("info", "request", "GET", "/v1/me", "200")
