"""The OpenAPI document stays true: schemathesis against the live server."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SEEK, admin

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def schemathesis(server, key, *extra):
    binary = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    command = [binary, "run", server.url + "/v1/openapi.json", "-u", server.url, "-H", f"X-Api-Key: {key}", "--checks", CHECKS,
               "--max-examples", os.environ.get("SEEK_SCHEMATHESIS_EXAMPLES", "50"), "--seed", "1", *extra]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    print(result.stdout[-4000:])
    return result


def unthrottled(data_dir, created):
    """Enterprise limits high enough that the run explores the API instead of collecting 429s."""
    subprocess.run([str(SEEK), "admin", "workspace", "update", "--data-dir", str(data_dir), "--id", created["workspace_id"],
                    "--plan", "enterprise", "--rate", "100000", "--burst", "100000"], check=True, capture_output=True, timeout=60)


def test_every_route_conforms(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "st", "--plan", "pro", "--credits", "1000000")
    unthrottled(data_dir, created)
    server = start()
    # Revoking keys is tested on its own below, so that the run does not revoke its own key mid-way; the runner
    # API takes a runner token, not a key (below), a file URL carries its own signature (Swift tests), and an
    # event stream lasts as long as its job or forever (test_events.py).
    result = schemathesis(server, created["api_key"], "--exclude-operation-id", "revokeKey", "--exclude-operation-id", "downloadFile",
                          "--exclude-operation-id", "streamJobEvents", "--exclude-operation-id", "streamEvents",
                          "--exclude-path-regex", "^/v1/runner/")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "passed" in result.stdout and " failed" not in result.stdout.split("SUMMARY")[-1]


def test_key_revocation_conforms(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "st-keys", "--plan", "pro", "--credits", "10")
    unthrottled(data_dir, created)
    server = start()
    result = schemathesis(server, created["api_key"], "--include-operation-id", "revokeKey")
    assert result.returncode == 0, result.stdout[-4000:]


def test_runner_routes_conform(data_dir, start):
    import requests
    created = admin(data_dir, "workspace", "create", "--name", "st-runner", "--plan", "pro", "--credits", "100")
    # Claims that find no job return at once instead of holding the run up.
    server = start("--runner-max-wait", "0")
    headers = {"X-Api-Key": created["api_key"]}
    manifest = {"id": "st-worker", "name": "ST", "version": "1.0.0", "input_schema": {"type": "object"}, "output": {"kind": "object"},
                "pricing": {"billing_mode": "per_run", "credits_per_run": 1}, "max_duration_s": 10}
    assert requests.post(server.url + "/v1/workers", json=manifest, headers=headers, timeout=30).status_code == 201
    token = requests.post(server.url + "/v1/workers/st-worker/runner-tokens", headers=headers, timeout=30).json()["token"]
    for n in range(20):
        requests.post(server.url + "/v1/workers/st-worker/jobs", json={"n": n}, headers=headers, timeout=30)
    result = schemathesis(server, created["api_key"], "--include-path-regex", "^/v1/runner/", "-H", f"Authorization: Bearer {token}")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "passed" in result.stdout and " failed" not in result.stdout.split("SUMMARY")[-1]
