"""The user command line (`seek run`, `seek jobs`, `seek login` …) against a live server, through the real binary."""
import json
import os
import stat
import subprocess

import pexpect
import pytest

from conftest import SEEK, Client, admin


@pytest.fixture
def account(data_dir, start, tmp_path):
    """A server, a workspace with credits, and the environment the CLI reads (no profile of the user's)."""
    created = admin(data_dir, "workspace", "create", "--name", "cli", "--plan", "pro", "--credits", "100")
    server = start("--concurrency", "1")
    env = {
        **os.environ,
        "SEEK_API_KEY": created["api_key"],
        "SEEK_API_BASE": server.url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("SEEKAPI_KEY", None)
    return server, created, env


def seek(env, *args, stdin=None):
    return subprocess.run([str(SEEK), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)


def test_run_echo_prints_the_completed_job_as_json(account):
    server, created, env = account
    out = seek(env, "run", "echo", "--set", "hello=world", "--set", "n=3", "--json")
    assert out.returncode == 0, out.stderr
    job = json.loads(out.stdout)
    assert job["status"] == "completed" and job["worker"] == "echo"
    assert job["result"]["data"] == {"hello": "world", "n": 3}
    # The job is the server's (the SDK's types leave out null members), not a rendering of the CLI's own.
    served = Client(server, created["api_key"]).job(job["job_uuid"])
    assert {name: value for name, value in served.items() if value is not None} == job


def test_run_input_from_stdin_merged_with_set(account):
    _, _, env = account
    out = seek(env, "run", "echo", "--input", "-", "--set", "b=2", "--json", stdin='{"a": {"deep": true}, "b": 1}')
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["result"]["data"] == {"a": {"deep": True}, "b": 2}


def test_run_sleep_on_a_terminal_shows_progress_and_exits_0(account):
    _, _, env = account
    child = pexpect.spawn(str(SEEK), ["run", "sleep", "--set", "ms=2000"], env=env, encoding="utf-8", timeout=30)
    # The redrawn line shows the status with the elapsed time while the job runs …
    child.expect(r"running (\d+\.\d)s")
    first = float(child.match.group(1))
    child.expect(r"running (\d+\.\d)s")
    assert float(child.match.group(1)) >= first
    # … and the summary at its end.
    child.expect(r"job_\w+ completed in (\d+\.\d)s, 1 credit\b")
    assert float(child.match.group(1)) >= 2.0
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_run_without_a_terminal_prints_one_line_per_status(account):
    _, _, env = account
    out = seek(env, "run", "sleep", "--set", "ms=50")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    statuses = [line.split()[1] for line in lines if line.startswith("job_") and len(line.split()) == 3]
    assert statuses == ["queued", "running", "completed"]
    assert "\x1b[" not in out.stdout  # no terminal escapes in a pipe


def test_a_refused_input_exits_3_with_the_422s_message(account):
    _, _, env = account
    out = seek(env, "run", "sleep", "--set", "ms=abc")
    assert out.returncode == 3
    assert "does not match the input schema of worker sleep" in out.stderr
    assert "422 unprocessable_entity" in out.stderr
    assert "/ms: must be of type integer" in out.stderr


def test_watching_a_job_that_is_cancelled_exits_1(account):
    server, created, env = account
    client = Client(server, created["api_key"])
    # With the one slot busy, a queued job cancelled while `jobs watch` follows it: the watch ends with the job, exit 1.
    busy = client.submit("sleep", {"ms": 3000}).json()["job_uuid"]
    queued = client.submit("echo", {"x": 1}).json()["job_uuid"]
    watcher = pexpect.spawn(str(SEEK), ["jobs", "watch", queued], env=env, encoding="utf-8", timeout=60)
    watcher.expect("queued")
    assert client.request("DELETE", f"/v1/jobs/{queued}").status_code == 200
    watcher.expect(rf"{queued} cancelled")
    watcher.expect(pexpect.EOF)
    watcher.close()
    assert watcher.exitstatus == 1
    assert client.wait_terminal(busy)["status"] == "completed"


def test_usage_errors_exit_2(account):
    _, _, env = account
    assert seek(env, "run").returncode == 2
    assert seek(env, "run", "echo", "--set", "novalue").returncode == 2
    assert seek(env, "jobs", "list", "--status", "sideways").returncode == 2
    missing = seek({k: v for k, v in env.items() if k != "SEEK_API_KEY"}, "workers", "list")
    assert missing.returncode == 2 and "seek login" in missing.stderr


def test_an_unknown_job_and_a_bad_key_exit_3(account):
    _, _, env = account
    unknown = seek(env, "jobs", "show", "job_01M000000000000000000000000")
    assert unknown.returncode == 3 and "404" in unknown.stderr
    bad = seek({**env, "SEEK_API_KEY": "sk_live_nope"}, "credits")
    assert bad.returncode == 3 and "401" in bad.stderr


def test_login_saves_a_private_profile_the_other_commands_use(account, tmp_path):
    server, created, env = account
    out = seek(env, "login")
    assert out.returncode == 0, out.stderr
    profile = tmp_path / "config" / "seek" / "config.json"
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert json.loads(profile.read_text()) == {"api_key": created["api_key"], "api_base": server.url}
    bare = {k: v for k, v in env.items() if k not in ("SEEK_API_KEY", "SEEK_API_BASE")}
    credits = seek(bare, "credits", "--json")
    assert credits.returncode == 0, credits.stderr
    assert json.loads(credits.stdout)["balance"] == 100


def test_jobs_workers_keys_and_files(account, tmp_path):
    server, created, env = account
    ran = json.loads(seek(env, "run", "echo", "--set", "k=v", "--json").stdout)
    listed = seek(env, "jobs", "list", "--worker", "echo", "--json")
    assert [job["job_uuid"] for job in json.loads(listed.stdout)] == [ran["job_uuid"]]
    table = seek(env, "jobs", "list").stdout.splitlines()
    assert table[0].split() == ["JOB", "WORKER", "STATUS", "CREATED", "CREDITS"] and ran["job_uuid"] in table[1]

    workers = seek(env, "workers", "list").stdout
    assert any(line.split()[:2] == ["echo", "1/run"] for line in workers.splitlines())
    assert json.loads(seek(env, "workers", "show", "sleep").stdout)["id"] == "sleep"

    key = json.loads(seek(env, "keys", "create", "reader", "--scope", "read").stdout)
    assert key["scope"] == "read" and key["key"].startswith("sk_live_")
    reader = {**env, "SEEK_API_KEY": key["key"]}
    refused = seek(reader, "run", "echo", "--set", "a=1")
    assert refused.returncode == 3 and "403" in refused.stderr
    assert seek(env, "keys", "revoke", key["id"]).returncode == 0
    assert seek(reader, "credits").returncode == 3

    uploaded = Client(server, created["api_key"]).request(
        "POST", "/v1/files?name=note.txt", data=b"hello files", headers={"Content-Type": "text/plain"}).json()
    target = tmp_path / "got.txt"
    got = seek(env, "files", "get", uploaded["id"], "-o", str(target))
    assert got.returncode == 0, got.stderr
    assert target.read_bytes() == b"hello files"
