#!/usr/bin/env python3
"""A Seek worker in Python, standard library only: upper-cases `text`, one process per job.

The command protocol (docs/workers.md): the input arrives as JSON on stdin; every line on stdout is one
JSON object; files written to $SEEK_OUTPUT_DIR become the job's files; exit 0 completes the job.
"""
import json
import os
import sys


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    job = json.load(sys.stdin)
    text = job.get("text", "")
    if job.get("fail"):
        print("asked to fail", file=sys.stderr)
        return 1
    emit({"type": "log", "message": f"upper-casing {len(text)} characters"})
    if not text.strip():
        emit({"type": "warning", "message": "the text is blank"})
    emit({"type": "data", "data": {"text": text.upper(), "length": len(text)}})
    emit({"type": "meta", "meta": {"job": os.environ.get("SEEK_JOB_UUID")}})
    if job.get("as_file"):
        with open(os.path.join(os.environ["SEEK_OUTPUT_DIR"], "upper.txt"), "w") as out:
            out.write(text.upper())
    return 0


if __name__ == "__main__":
    sys.exit(main())
