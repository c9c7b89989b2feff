#!/usr/bin/env python3
"""A Seek worker in Python, standard library only: upper-cases `text`.

The command protocol (docs/workers.md). One process per job (the default): the input arrives as JSON on
stdin, every line on stdout is one JSON object, files written to $SEEK_OUTPUT_DIR become the job's files,
and exit 0 completes the job. Under `seek runner --persistent` (SEEK_PERSISTENT=1) one process takes every
job as a line on stdin and tags its answers with the job's id, ending each with "done" or "error".
"""
import json
import os
import sys


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def upper(job, output_dir, emit):
    """Runs one job; returns an error message, or None when it completed."""
    text = job.get("text", "")
    if job.get("fail"):
        print("asked to fail", file=sys.stderr, flush=True)
        return "asked to fail"
    emit({"type": "log", "message": f"upper-casing {len(text)} characters"})
    if not text.strip():
        emit({"type": "warning", "message": "the text is blank"})
    emit({"type": "data", "data": {"text": text.upper(), "length": len(text)}})
    emit({"type": "meta", "meta": {"job": os.environ.get("SEEK_JOB_UUID", job.get("_job_uuid"))}})
    if job.get("as_file"):
        with open(os.path.join(output_dir, "upper.txt"), "w") as out:
            out.write(text.upper())
    return None


def persistent():
    for line in sys.stdin:
        message = json.loads(line)
        if message["type"] != "job":
            continue  # a "cancel" for a job past its deadline: these jobs are too quick to need one
        job_uuid = message["job_uuid"]
        job = {**message["input"], "_job_uuid": job_uuid}
        error = upper(job, message["output_dir"], lambda m: emit({**m, "job_uuid": job_uuid}))
        emit({"type": "error", "job_uuid": job_uuid, "message": error} if error else {"type": "done", "job_uuid": job_uuid})


def main():
    if os.environ.get("SEEK_PERSISTENT") == "1":
        persistent()
        return 0
    return 1 if upper(json.load(sys.stdin), os.environ["SEEK_OUTPUT_DIR"], emit) else 0


if __name__ == "__main__":
    sys.exit(main())
