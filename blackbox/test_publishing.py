"""Publishing a worker whose code runs on the publisher's own machine, through `seek runner`."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEEK, Client, admin, balance_matches_ledger

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# A worker whose behaviour its input picks, for the failure cases of the command protocol.
MISBEHAVING = r'''
import json, os, sys, time
job = json.load(sys.stdin)
mode = job.get("mode")
if mode == "hang":
    print(json.dumps({"type": "log", "message": "started"}), flush=True)
    time.sleep(600)
elif mode == "garbage":
    print("this is not json", flush=True)
elif mode == "crash":
    sys.stderr.write("x" * 10000 + "\nTraceback: the end of stderr\n")
    sys.exit(3)
elif mode == "slow":
    open(os.path.join(job["marker_dir"], os.environ["SEEK_JOB_UUID"] + "-" + os.environ["SEEK_ATTEMPT"]), "w").close()
    time.sleep(job.get("seconds", 3))
print(json.dumps({"type": "data", "data": {"mode": mode}}), flush=True)
'''


class Runner:
    """One `seek runner` process."""

    def __init__(self, server, token, command, tmp_path, *flags):
        self.log = tmp_path / f"runner-{time.monotonic_ns()}.log"
        env = {**os.environ, "SEEK_LOG_LEVEL": "info"}
        self.process = subprocess.Popen(
            [str(SEEK), "runner", "--server", server.url, "--token", token, *flags, "--", *command],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env)

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def runners():
    started = []
    yield started
    for runner in started:
        runner.stop()


def publish(client, manifest):
    created = client.request("POST", "/v1/workers", json=manifest)
    assert created.status_code == 201, created.text
    assert client.request("POST", f"/v1/workers/{manifest['id']}/publish").status_code == 200
    token = client.request("POST", f"/v1/workers/{manifest['id']}/runner-tokens")
    assert token.status_code == 201, token.text
    return token.json()


def workspaces(data_dir):
    a = admin(data_dir, "workspace", "create", "--name", "publisher", "--plan", "pro", "--credits", "0")
    b = admin(data_dir, "workspace", "create", "--name", "caller", "--plan", "pro", "--credits", "1000")
    return a, b


def test_a_python_worker_published_by_a_runs_for_b_and_pays_a(data_dir, start, runners, tmp_path):
    a, b = workspaces(data_dir)
    server = start()
    publisher, caller = Client(server, a["api_key"]), Client(server, b["api_key"])
    manifest = json.loads((EXAMPLES / "python-upper" / "manifest.json").read_text())
    token = publish(publisher, manifest)["token"]
    runners.append(Runner(server, token, [sys.executable, str(EXAMPLES / "python-upper" / "worker.py")], tmp_path, "--concurrency", "2"))

    listed = [w["id"] for w in caller.request("GET", "/v1/workers", params={"limit": 100}).json()["data"]]
    assert "python-upper" in listed
    jobs = [caller.submit("python-upper", {"text": f"hello {n}"}).json()["job_uuid"] for n in range(5)]
    for n, job_id in enumerate(jobs):
        job = caller.wait_terminal(job_id)
        assert job["status"] == "completed", job
        assert job["result"]["data"] == {"text": f"HELLO {n}", "length": 7}
        assert job["result"]["meta"]["job"] == job_id
        assert job["worker_version"] == "1.0.0" and job["cost_credits"] == 10
    blank = caller.wait_terminal(caller.submit("python-upper", {"text": " "}).json()["job_uuid"])
    assert blank["result"]["meta"]["warnings"] == ["the text is blank"]

    # 6 jobs × 10 credits: B pays 60, A earns 60 less the 20 % fee.
    assert caller.request("GET", "/v1/me").json()["credits"]["balance"] == 940
    assert publisher.request("GET", "/v1/me").json()["credits"]["balance"] == 48
    balance_matches_ledger(caller)
    entries = balance_matches_ledger(publisher)
    assert sorted({e["type"] for e in entries}) == ["earning"]
    deployment = publisher.request("GET", "/v1/me/deployments").json()["data"][0]
    assert deployment["runners_online"] == 1 and deployment["jobs_this_month"] == 6 and deployment["credits_earned_this_month"] == 48
    assert caller.request("GET", "/v1/me/deployments").json()["data"] == []
    usage = publisher.request("GET", "/v1/me/usage").json()
    assert usage["earnings"]["credits"] == 48 and usage["earnings"]["by_worker"][0]["worker"] == "python-upper"

    import requests
    with_file = caller.wait_terminal(caller.submit("python-upper", {"text": "file me", "as_file": True}).json()["job_uuid"])
    [file] = with_file["files"]
    assert file["name"] == "upper.txt" and file["content_type"] == "text/plain" and file["size_bytes"] == 7
    assert file["url"].startswith(server.url + "/v1/files/file_")
    assert requests.get(file["url"], timeout=30).content == b"FILE ME"
    altered = file["url"][:-1] + ("1" if file["url"][-1] == "0" else "0")
    assert requests.get(altered, timeout=30).status_code == 403

    failed = caller.wait_terminal(caller.submit("python-upper", {"text": "x", "fail": True}).json()["job_uuid"])
    assert failed["status"] == "failed" and failed["cost_credits"] == 0
    assert failed["error"]["code"] == "worker_failed" and "asked to fail" in failed["error"]["message"]


def test_timeouts_crashes_and_malformed_lines_end_clearly(data_dir, start, runners, tmp_path):
    a, b = workspaces(data_dir)
    server = start()
    publisher, caller = Client(server, a["api_key"]), Client(server, b["api_key"])
    script = tmp_path / "misbehaving.py"
    script.write_text(MISBEHAVING)
    manifest = {"id": "misbehaving", "name": "Misbehaving", "version": "1.0.0", "input_schema": {"type": "object"},
                "output": {"kind": "object"}, "pricing": {"billing_mode": "per_run", "credits_per_run": 5}, "max_duration_s": 30}
    token = publish(publisher, manifest)["token"]
    runners.append(Runner(server, token, [sys.executable, str(script)], tmp_path, "--concurrency", "3"))

    hang = caller.submit("misbehaving", {"mode": "hang", "timeout_s": 2}).json()["job_uuid"]
    garbage = caller.submit("misbehaving", {"mode": "garbage"}).json()["job_uuid"]
    crash = caller.submit("misbehaving", {"mode": "crash"}).json()["job_uuid"]
    job = caller.wait_terminal(hang)
    assert job["status"] == "timeout" and job["cost_credits"] == 0, job
    job = caller.wait_terminal(garbage)
    assert job["status"] == "failed" and job["error"]["code"] == "protocol_error" and "not a JSON object" in job["error"]["message"]
    job = caller.wait_terminal(crash)
    assert job["status"] == "failed" and job["error"]["message"].startswith("The worker exited with status 3")
    assert job["error"]["message"].endswith("Traceback: the end of stderr") and len(job["error"]["message"]) < 2200
    assert caller.request("GET", "/v1/me").json()["credits"] == {"balance": 1000, "reserved": 0, "available": 1000}


def test_a_runner_killed_mid_job_loses_it_to_another_and_a_revoked_token_is_refused(data_dir, start, runners, tmp_path):
    a, b = workspaces(data_dir)
    server = start("--lease-seconds", "3")
    publisher, caller = Client(server, a["api_key"]), Client(server, b["api_key"])
    script = tmp_path / "misbehaving.py"
    script.write_text(MISBEHAVING)
    markers = tmp_path / "markers"
    markers.mkdir()
    manifest = {"id": "misbehaving", "name": "Misbehaving", "version": "1.0.0", "input_schema": {"type": "object"},
                "output": {"kind": "object"}, "pricing": {"billing_mode": "per_run", "credits_per_run": 5}, "max_duration_s": 60}
    created = publish(publisher, manifest)
    first = Runner(server, created["token"], [sys.executable, str(script)], tmp_path)
    runners.append(first)
    job_id = caller.submit("misbehaving", {"mode": "slow", "seconds": 2, "marker_dir": str(markers)}).json()["job_uuid"]
    deadline = time.monotonic() + 30
    while not (markers / f"{job_id}-1").exists():
        assert time.monotonic() < deadline, "the first runner never started the job"
        time.sleep(0.05)
    first.kill9()

    runners.append(Runner(server, created["token"], [sys.executable, str(script)], tmp_path))
    job = caller.wait_terminal(job_id, limit=60)
    assert job["status"] == "completed" and job["result"]["data"] == {"mode": "slow"}
    assert (markers / f"{job_id}-2").exists(), "the second run is attempt 2"
    entries = balance_matches_ledger(caller)
    assert sorted(e["type"] for e in entries if e["job_uuid"] == job_id) == ["charge", "reserve"], "charged once"

    revoked = publisher.request("DELETE", f"/v1/workers/misbehaving/runner-tokens/{created['id']}")
    assert revoked.status_code == 200
    import requests
    answer = requests.post(server.url + "/v1/runner/claim", json={"runner_id": "r"}, headers={"Authorization": f"Bearer {created['token']}"}, timeout=30)
    assert answer.status_code == 401
    # The runner's own next call is refused too, and it stops.
    second = runners[-1]
    second.process.wait(timeout=60)
    assert second.process.returncode != 0
    assert "The server refused this runner" in second.log.read_text()


def test_anothers_draft_tokens_and_jobs_are_404(data_dir, start):
    a, b = workspaces(data_dir)
    server = start()
    publisher, caller = Client(server, a["api_key"]), Client(server, b["api_key"])
    manifest = json.loads((EXAMPLES / "python-upper" / "manifest.json").read_text())
    assert publisher.request("POST", "/v1/workers", json=manifest).status_code == 201
    token = publisher.request("POST", "/v1/workers/python-upper/runner-tokens").json()
    for method, path in [("GET", "/v1/workers/python-upper"), ("POST", "/v1/workers/python-upper/publish"),
                         ("PUT", "/v1/workers/python-upper"), ("POST", "/v1/workers/python-upper/runner-tokens"),
                         ("GET", "/v1/workers/python-upper/runner-tokens"),
                         ("DELETE", f"/v1/workers/python-upper/runner-tokens/{token['id']}")]:
        answer = caller.request(method, path, json=manifest if method == "PUT" else None)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"] == "not_found"
    assert caller.submit("python-upper", {"text": "x"}).status_code == 404


def test_the_swift_example_runs_per_event(data_dir, start, runners, tmp_path):
    built = subprocess.run(["swift", "build", "--package-path", str(EXAMPLES / "swift-reverse")], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-2000:]
    binary = subprocess.run(["swift", "build", "--package-path", str(EXAMPLES / "swift-reverse"), "--show-bin-path"],
                            capture_output=True, text=True, timeout=300, check=True).stdout.strip()
    a, b = workspaces(data_dir)
    server = start()
    publisher, caller = Client(server, a["api_key"]), Client(server, b["api_key"])
    manifest = json.loads((EXAMPLES / "swift-reverse" / "manifest.json").read_text())
    token = publish(publisher, manifest)["token"]
    runners.append(Runner(server, token, [str(Path(binary) / "SwiftReverse")], tmp_path))
    accepted = caller.submit("swift-reverse", {"words": ["seek", "swift", "jobs"]}).json()
    assert accepted["cost_estimate_credits"] == 100
    job = caller.wait_terminal(accepted["job_uuid"])
    assert job["status"] == "completed", job
    assert [item["reversed"] for item in job["result"]["items"]] == ["kees", "tfiws", "sboj"]
    assert job["cost_credits"] == 3 and job["cost"]["billing_mode"] == "per_event"
    assert caller.request("GET", "/v1/me").json()["credits"] == {"balance": 997, "reserved": 0, "available": 997}
    # 3 credits less the 20 % fee (rounded up, in the platform's favour): 2.
    assert publisher.request("GET", "/v1/me").json()["credits"]["balance"] == 2
    balance_matches_ledger(caller)
    balance_matches_ledger(publisher)


def test_persistent_mode_runs_many_jobs_in_one_process(data_dir, start, runners, tmp_path):
    a, b = workspaces(data_dir)
    server = start()
    publisher, caller = Client(server, a["api_key"]), Client(server, b["api_key"])
    manifest = json.loads((EXAMPLES / "python-upper" / "manifest.json").read_text())
    token = publish(publisher, manifest)["token"]
    runners.append(Runner(server, token, [sys.executable, str(EXAMPLES / "python-upper" / "worker.py")], tmp_path,
                          "--persistent", "--concurrency", "8"))
    jobs = {caller.submit("python-upper", {"text": f"word {n}"}).json()["job_uuid"]: n for n in range(30)}
    failing = caller.submit("python-upper", {"text": "x", "fail": True}).json()["job_uuid"]
    with_file = caller.submit("python-upper", {"text": "in a file", "as_file": True}).json()["job_uuid"]
    for job_id, n in jobs.items():
        job = caller.wait_terminal(job_id)
        assert job["status"] == "completed" and job["result"]["data"]["text"] == f"WORD {n}", job
        assert job["result"]["meta"]["job"] == job_id
    failed = caller.wait_terminal(failing)
    assert failed["status"] == "failed" and failed["error"] == {"code": "worker_failed", "message": "asked to fail"}
    assert caller.wait_terminal(with_file)["files"][0]["name"] == "upper.txt"
    assert caller.request("GET", "/v1/me").json()["credits"]["balance"] == 1000 - 31 * 10
    balance_matches_ledger(caller)
