"""Live job events over server-sent events: a job's stream, the workspace's stream, resuming, and the cap."""
import json
import socket
import subprocess
import threading

import requests

from conftest import SEEK, Client, admin


def workspace(data_dir, name="events"):
    created = admin(data_dir, "workspace", "create", "--name", name, "--plan", "pro", "--credits", "100000")
    # Enterprise limits, so that hundreds of submits at once meet no rate limit.
    subprocess.run([str(SEEK), "admin", "workspace", "update", "--data-dir", str(data_dir), "--id", created["workspace_id"],
                    "--plan", "enterprise", "--rate", "100000", "--burst", "100000", "--concurrency", "1000"],
                   check=True, capture_output=True, timeout=60)
    return created


class Stream:
    """One event stream, read event by event as it arrives."""

    def __init__(self, server, key, path, last_id=None):
        headers = {"X-Api-Key": key, "Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        self.response = requests.get(server.url + path, headers=headers, stream=True, timeout=(10, 60))
        self.lines = self.response.iter_lines(chunk_size=None, decode_unicode=True)
        self.comments = 0

    def next_event(self):
        """The next event as a dict of its fields (data parsed), or None when the stream ends."""
        event = {}
        for line in self.lines:
            if line == "":
                if "event" in event:
                    event["data"] = json.loads(event["data"])
                    event["id"] = int(event["id"])
                    return event
                event = {}
            elif line.startswith(":"):
                self.comments += 1
            else:
                field, _, value = line.partition(": ")
                event[field] = value
        return None

    def until_done(self):
        events = []
        while (event := self.next_event()) is not None:
            events.append(event)
            if event["event"] == "done":
                break
        return events

    def close(self):
        self.response.close()


def statuses(events):
    return [e["data"]["status"] for e in events if e["event"] == "status"]


def test_a_sleep_jobs_stream_shows_queued_running_completed_then_done_and_ends(data_dir, start):
    created = workspace(data_dir)
    server = start()
    client = Client(server, created["api_key"])
    job = client.submit("sleep", {"ms": 300}).json()
    stream = Stream(server, created["api_key"], f"/v1/jobs/{job['job_uuid']}/events")
    assert stream.response.status_code == 200
    assert stream.response.headers["Content-Type"].startswith("text/event-stream")
    events = stream.until_done()
    assert stream.next_event() is None, "the stream ends after done"
    assert statuses(events) == ["queued", "running", "completed"]
    assert [e["data"]["message"] for e in events if e["event"] == "log"] == ["Sleeping for 300 ms"]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids[:-1])) == len(ids) - 1, "ids rise; done repeats its status event's id"
    done = events[-1]
    assert done["event"] == "done" and done["id"] == events[-2]["id"]
    assert done["data"] == client.job(job["job_uuid"]), "done carries the job as GET /v1/jobs/{id} shows it"
    assert all(e["data"]["job_id"] == job["job_uuid"] for e in events[:-1])


def test_a_stream_cut_and_resumed_with_last_event_id_loses_and_repeats_nothing(data_dir, start):
    created = workspace(data_dir)
    server = start()
    client = Client(server, created["api_key"])
    job = client.submit("sleep", {"ms": 1500}).json()
    path = f"/v1/jobs/{job['job_uuid']}/events"
    first = Stream(server, created["api_key"], path)
    before = [first.next_event(), first.next_event()]
    first.close()
    assert statuses(before) == ["queued", "running"]
    resumed = Stream(server, created["api_key"], path, last_id=before[-1]["id"])
    after = resumed.until_done()
    whole = Stream(server, created["api_key"], path).until_done()
    assert [(e["id"], e["event"]) for e in before + after] == [(e["id"], e["event"]) for e in whole]
    assert statuses(before + after) == ["queued", "running", "completed"]
    bad = requests.get(server.url + path, headers={"X-Api-Key": created["api_key"], "Last-Event-ID": "yesterday"}, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"


def test_a_finished_job_sends_done_at_once_even_after_a_restart(data_dir, start):
    created = workspace(data_dir)
    server = start()
    client = Client(server, created["api_key"])
    job = client.submit("echo", {"hello": "world"}, headers={"Prefer": "wait=10"}).json()
    assert job["status"] == "completed"
    server.stop()
    # The new process has no events of the job: the stream starts from its stored status.
    server = start()
    events = Stream(server, created["api_key"], f"/v1/jobs/{job['job_uuid']}/events").until_done()
    assert [e["event"] for e in events] == ["status", "done"]
    assert events[0]["data"]["status"] == "completed" and events[1]["data"]["result"] == job["result"]


def test_an_unknown_or_foreign_job_is_404_and_a_missing_key_401(data_dir, start):
    mine, theirs = workspace(data_dir, "mine"), workspace(data_dir, "theirs")
    server = start()
    job = Client(server, theirs["api_key"]).submit("echo", {}).json()
    for path in [f"/v1/jobs/{job['job_uuid']}/events", "/v1/jobs/job_nope/events"]:
        answer = requests.get(server.url + path, headers={"X-Api-Key": mine["api_key"]}, timeout=30)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert requests.get(server.url + "/v1/events", timeout=30).status_code == 401
    answer = requests.get(server.url + "/v1/events?status=sleeping", headers={"X-Api-Key": mine["api_key"]}, timeout=30)
    assert answer.status_code == 400 and "status" in answer.json()["message"]


def test_the_workspace_stream_carries_its_jobs_events_filtered_by_worker(data_dir, start):
    created, other = workspace(data_dir), workspace(data_dir, "other")
    server = start()
    client = Client(server, created["api_key"])
    stream = Stream(server, created["api_key"], "/v1/events?worker=sleep")
    assert stream.response.status_code == 200
    Client(server, other["api_key"]).submit("sleep", {"ms": 10})
    client.submit("echo", {"n": 1})
    job = client.submit("sleep", {"ms": 50}).json()
    events = stream.until_done()
    stream.close()
    assert {e["data"]["job_id"] for e in events[:-1]} == {job["job_uuid"]}, "only this workspace's sleep job"
    assert statuses(events) == ["queued", "running", "completed"]
    assert events[-1]["data"]["job_uuid"] == job["job_uuid"]


def test_200_streams_hold_while_their_jobs_run_and_a_key_past_its_cap_gets_429(data_dir, start):
    created = workspace(data_dir)
    server = start()
    client = Client(server, created["api_key"])
    jobs = [client.submit("sleep", {"ms": 500}).json()["job_uuid"] for _ in range(200)]
    results, failures = {}, []

    def follow(job_id):
        try:
            results[job_id] = Stream(server, created["api_key"], f"/v1/jobs/{job_id}/events").until_done()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(repr(error))

    threads = [threading.Thread(target=follow, args=(job_id,)) for job_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures and len(results) == 200
    for events in results.values():
        assert statuses(events)[-1] == "completed" and events[-1]["event"] == "done"
    # 250 streams per key by default: the workspace stream never ends, so 250 stay open and the 251st is refused.
    sockets = []
    try:
        for _ in range(250):
            sockets.append(open_stream(server, created["api_key"]))
        refused = requests.get(server.url + "/v1/events", headers={"X-Api-Key": created["api_key"]}, timeout=30)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert refused.json()["error"] == "too_many_requests"
    finally:
        for held in sockets:
            held.close()


def open_stream(server, key):
    """A workspace stream held open on a raw socket, once its 200 has come."""
    held = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    held.sendall(f"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {key}\r\n\r\n".encode())
    head = b""
    while b"\r\n" not in head:
        head += held.recv(1024)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return held
