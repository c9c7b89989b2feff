"""Plans over real sockets: per-key token buckets, key scopes, admin changes to plans, limits and credit lines."""
import json
import subprocess
import time

import requests

from conftest import SEEK, Client, admin, balance_matches_ledger


def test_four_times_the_rate_for_ten_seconds(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "free", "--plan", "free")
    server = start()
    session = requests.Session()
    session.headers["X-Api-Key"] = created["api_key"]
    rate, burst, offered = 10, 20, 40
    results = []
    began = time.monotonic()
    for i in range(offered * 10):
        # Paced against the clock, so a slow request does not slow the offered rate.
        delay = began + i / offered - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        response = session.get(server.url + "/v1/me", timeout=30)
        results.append((time.monotonic(), response.status_code, response.headers))
    elapsed = results[-1][0] - began
    accepted = sum(1 for _, status, _ in results if status == 200)
    expected = burst + rate * elapsed
    assert abs(accepted - expected) <= 0.05 * expected, (accepted, expected, elapsed)
    refused = [headers for _, status, headers in results if status == 429]
    assert len(refused) + accepted == len(results)
    assert all(int(h["Retry-After"]) >= 1 for h in refused)
    assert all(h["RateLimit-Limit"] == "20" and "RateLimit-Reset" in h for _, _, h in results)
    # Retry-After is true: waiting that long is enough.
    last = session.get(server.url + "/v1/me", timeout=30)
    while last.status_code != 429:
        last = session.get(server.url + "/v1/me", timeout=30)
    time.sleep(int(last.headers["Retry-After"]))
    assert session.get(server.url + "/v1/me", timeout=30).status_code == 200


def test_keys_and_workspaces_do_not_share_buckets(data_dir, start):
    first = admin(data_dir, "workspace", "create", "--name", "a", "--plan", "free")
    second = admin(data_dir, "workspace", "create", "--name", "b", "--plan", "free")
    server = start()
    client = Client(server, first["api_key"])
    sibling = client.request("POST", "/v1/me/keys", json={"name": "sibling"}).json()["key"]
    statuses = [client.request("GET", "/v1/me").status_code for _ in range(30)]
    assert 429 in statuses
    for key in (sibling, second["api_key"]):
        response = Client(server, key).request("GET", "/v1/me")
        assert response.status_code == 200 and int(response.headers["RateLimit-Remaining"]) >= 18


def test_requests_without_a_valid_key_are_limited_per_address(data_dir, start):
    server = start()
    statuses = [requests.get(server.url + "/v1/me", headers={"X-Api-Key": "sk_live_guess"}, timeout=30) for _ in range(40)]
    assert [r.status_code for r in statuses[:20]] == [401] * 20
    refused = [r for r in statuses if r.status_code == 429]
    assert refused and all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert refused[0].json()["error"] == "too_many_requests"


def test_a_read_key_may_only_get(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "ro", "--plan", "pro", "--credits", "10")
    server = start()
    owner = Client(server, created["api_key"])
    response = owner.request("POST", "/v1/me/keys", json={"name": "dashboard", "scope": "read"})
    assert response.status_code == 201 and response.json()["scope"] == "read"
    reader = Client(server, response.json()["key"])
    for path in ["/v1/me", "/v1/me/credits", "/v1/me/usage", "/v1/me/keys", "/v1/jobs", "/v1/workers"]:
        assert reader.request("GET", path).status_code == 200, path
    key_id = response.json()["id"]
    for method, path, body in [("POST", "/v1/workers/echo/jobs", {}), ("POST", "/v1/me/keys", {"name": "x"}),
                               ("DELETE", f"/v1/me/keys/{key_id}", None), ("POST", "/v1/me/webhook-secret/rotate", None)]:
        refused = reader.request(method, path, json=body)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden", (method, path)
    assert [k["scope"] for k in owner.request("GET", "/v1/me/keys").json()["data"]] == ["full", "read"]


def update(data_dir, *args):
    return subprocess.run([str(SEEK), "admin", "workspace", "update", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=60)


def test_admin_moves_plans_and_sets_enterprise_limits_and_credit_lines(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "big", "--plan", "pro", "--credits", "0")
    server = start()
    client = Client(server, created["api_key"])
    refused = update(data_dir, "--id", created["workspace_id"], "--credit-line", "5")
    assert refused.returncode != 0 and "does not allow a credit line" in refused.stderr
    assert update(data_dir, "--id", created["workspace_id"], "--plan", "gold").returncode != 0
    # Numbers past their bounds are refused at the edge, before they can trap a token bucket.
    huge = update(data_dir, "--id", created["workspace_id"], "--plan", "enterprise", "--rate", "10", "--burst", str(2**63 - 1))
    assert huge.returncode != 0 and "1 to 1000000000" in huge.stderr, huge.stderr
    done = update(data_dir, "--id", created["workspace_id"], "--plan", "enterprise", "--rate", "300", "--burst", "600", "--credit-line", "5",
                  "--concurrency", "40", "--max-keys", "2")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"workspace_id": created["workspace_id"], "plan": "enterprise", "rate_limit_per_second": 300,
                                       "burst": 600, "credit_line": 5, "concurrency": 40, "max_keys": 2}
    me = client.request("GET", "/v1/me").json()
    assert me["plan"]["name"] == "enterprise" and me["plan"]["rate_limit_per_second"] == 300 and me["plan"]["credit_line"] == 5
    assert me["plan"]["concurrency"] == 40 and me["plan"]["max_keys"] == 2
    # The workspace's own key cap: its first key and one more, then 409.
    assert client.request("POST", "/v1/me/keys", json={"name": "second"}).status_code == 201
    assert client.request("POST", "/v1/me/keys", json={"name": "third"}).status_code == 409
    # The server reads a key's limits again within 10 s of a change made by another process.
    deadline = time.monotonic() + 30
    while client.request("GET", "/v1/me").headers["RateLimit-Limit"] != "600":
        assert time.monotonic() < deadline, "the new burst never applied"
        time.sleep(0.5)
    # With no credits, the credit line carries five 1-credit jobs and not a sixth.
    jobs = [client.submit("echo", {"n": n}) for n in range(6)]
    assert [r.status_code for r in jobs] == [202] * 5 + [402]
    for response in jobs[:5]:
        client.wait_terminal(response.json()["job_uuid"])
    credits = client.request("GET", "/v1/me/credits").json()
    assert (credits["balance"], credits["available"], credits["credit_line"]) == (-5, -5, 5)
    balance_matches_ledger(client)
    usage = client.request("GET", "/v1/me/usage").json()
    assert usage["credits"] == 5 and usage["by_worker"] == [{"worker": "echo", "credits": 5, "jobs": 5}]
