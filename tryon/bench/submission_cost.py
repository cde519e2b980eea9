"""The CPU of one submission, in-process: a benchmark, not a test.

    python -m tryon.bench.submission_cost [--requests 300]

Calls the WSGI app directly (no HTTP server, no other load) with `POST /api/v1/tryons`, as a storefront
would, on a scratch PostgreSQL database and Redis (as tryon.bench.submissions sets them up), and prints:
- the request thread's CPU per new try-on and per repeated one (the same picks again: the job is reused),
  median of `--requests` each; it moves with the machine's load, so compare runs made side by side;
- Python function calls per request (sys.setprofile), which do not: a change that makes a submission cheaper
  shows here exactly, whatever else the machine is doing;
- the CPU PostgreSQL's backends spent per request, which shares the web's cores.
"""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from tryon.bench.submissions import Stack, cpu_spent, host_speed_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    if args.requests < 10:
        parser.error("--requests must be at least 10")

    with tempfile.TemporaryDirectory(prefix="tryon-bench-") as workdir:
        stack = Stack(Path(workdir))
        key = stack.prepare()
        try:
            os.environ.update(stack.env)
            measure(stack, key, args.requests)
        finally:
            close_database()  # the scratch database is dropped next: nothing of this process may hold it
            stack.stop()


def close_database() -> None:
    from django.db import connection

    if connection.settings_dict.get("OPTIONS", {}).get("pool"):
        connection.close_pool()
    connection.close()


def measure(stack: Stack, key: str, requests: int) -> None:
    import django

    django.setup()
    from tryon.jobs.heartbeats import worker_heartbeat_record
    from tryon.wsgi import application

    worker_heartbeat_record(hostname="bench", queues=["tryon.tiny"])  # a worker serves tiny: submissions accepted

    def call(method: str, path: str, body: dict | None = None) -> tuple[str, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {key}", "REMOTE_ADDR": "127.0.0.1",
        }  # fmt: skip
        answered = {}
        chunks = application(environ, lambda status, headers, exc_info=None: answered.update(status=status))
        body = b"".join(chunks)
        chunks.close()
        return answered["status"], body

    def first_id(route: str) -> int:
        return json.loads(call("GET", f"/api/v1/{route}?page_size=1")[1])["results"][0]["id"]

    picks = {
        "catalog_item_id": first_id("catalog-items"),
        "fashion_model_id": first_id("fashion-models"),
        "pose_id": first_id("poses"),
        "scene_id": first_id("scenes"),
    }
    seeds = iter(range(1, 10**6))

    def submit(seed: int, expected: str) -> None:
        status, body = call("POST", "/api/v1/tryons", {**picks, "seed": seed})
        if not status.startswith(expected):
            raise SystemExit(f"POST /api/v1/tryons answered {status}, not {expected}: {body[:300]!r}")

    # Warm, as a process that has served a while: its first requests load and compile what later ones reuse, and
    # each of its pooled connections runs a statement ~10 times before PostgreSQL keeps it prepared and planned.
    for _ in range(100):
        submit(next(seeds), "202")
    new_seeds = [next(seeds) for _ in range(requests)]
    cpu, database_cpu = {"new": [], "repeated": []}, {}
    with tqdm(total=2 * requests, unit="request", desc="Submitting") as bar:
        for kind, expected in (("new", "202"), ("repeated", "202")):
            database_before = stack.database_cpu()
            for seed in new_seeds:
                started = time.thread_time()
                submit(seed, expected)
                cpu[kind].append(time.thread_time() - started)
                bar.update()
            database_cpu[kind] = cpu_spent(database_before, stack.database_cpu()) / requests

    calls = {"new": 0, "repeated": 0}
    counted = 50
    counting_seeds = [next(seeds) for _ in range(counted)]
    for kind in ("new", "repeated"):

        def count(frame, event, arg, kind=kind):
            if event in ("call", "c_call"):
                calls[kind] += 1

        sys.setprofile(count)
        try:
            for seed in counting_seeds:
                submit(seed, "202")
        finally:
            sys.setprofile(None)

    for kind, label in (("new", "a new try-on (202)"), ("repeated", "the same picks again (202, reused)")):
        print(f"POST /api/v1/tryons, {label}: CPU median {statistics.median(cpu[kind]) * 1000:.2f} ms "
              f"(p90 {statistics.quantiles(cpu[kind], n=10)[-1] * 1000:.2f} ms), "
              f"{calls[kind] / counted:,.0f} Python function calls; "
              f"PostgreSQL's CPU {database_cpu[kind] * 1000:.2f} ms (mean, its backends, /proc)")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f}; this host's reference work took {host_speed_ms():.0f} ms "
          "(tryon.bench.submissions.host_speed_ms)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
