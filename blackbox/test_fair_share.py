"""Many tenants on one queue: one workspace's flood of high-priority jobs does not hold back another's job,
and a Free workspace never runs more than its plan's 2 jobs at once."""
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import Client, admin


def test_a_flood_does_not_starve_another_workspace_and_free_runs_two(data_dir, start):
    flood = admin(data_dir, "workspace", "create", "--name", "flood", "--plan", "pro", "--credits", "1000")
    quiet = admin(data_dir, "workspace", "create", "--name", "quiet", "--plan", "pro", "--credits", "10")
    small = admin(data_dir, "workspace", "create", "--name", "small", "--plan", "free", "--credits", "50")
    server = start("--concurrency", "4", "--rate-limits", "off")
    a, b, c = (Client(server, created["api_key"]) for created in (flood, quiet, small))
    assert c.request("GET", "/v1/me").json()["plan"]["concurrency"] == 2

    # Workspace A: 500 sleep jobs at high priority, more than the runner can start for a minute.
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: a.submit("sleep", {"ms": 400, "priority": "high"}).status_code, range(500)))
    assert statuses.count(202) == 500

    # Workspace B's one job, submitted after: served in turn, not after A's queue.
    echo = b.submit("echo", {"hello": "fair"}).json()["job_uuid"]
    # Workspace C (Free): ten jobs, of which never more than two run at once.
    small_jobs = [c.submit("sleep", {"ms": 300}).json()["job_uuid"] for _ in range(10)]
    done = b.wait_terminal(echo, limit=120)
    assert done["status"] == "completed"
    still_queued = len(a.request("GET", "/v1/jobs", params={"status": "queued", "limit": 100}).json()["data"])
    assert still_queued == 100, "B's job ended while A's queue was still long"

    most, deadline = 0, time.monotonic() + 120
    while time.monotonic() < deadline:
        running = len(c.request("GET", "/v1/jobs", params={"status": "running", "limit": 100}).json()["data"])
        most = max(most, running)
        assert running <= 2, f"a Free workspace had {running} jobs running"
        if all(c.job(job)["status"] == "completed" for job in small_jobs):
            break
        time.sleep(0.05)
    assert all(c.job(job)["status"] == "completed" for job in small_jobs)
    assert most == 2, "the Free workspace got its two slots while A's flood waited"
