"""Submission latency under load, and cache-hit latency: a benchmark, not a test.

    python -m tryon.bench.submissions [--jobs 50] [--cache-hits 20] [--warm-up 300]

Stands up the production shape on this machine: PostgreSQL (a scratch database, dropped after),
Redis (a scratch db number), one Celery worker on the `tiny` preset and the web app under gunicorn
(4 processes x 4 threads, as deploy/ runs it), all on 127.0.0.1. Warms the web app as serving a while does,
then fires N try-on requests at once through the REST API while the worker is busy, waits until every one
has succeeded, and asks again for finished picks to time cache hits.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "tryon_bench"
WEB_APPLICATION = "tryon-bench-web"  # the web's PostgreSQL connections, told from the worker's
WEB_PROCESSES, WEB_THREADS = 4, 4  # gunicorn's --workers and --threads, as deploy/ runs the web


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def host_speed_ms() -> float:
    """The CPU this host takes for a fixed piece of Python work (dicts, strings, JSON, hashing, as a request's), best of
    nine: the same code's milliseconds differ twofold between two hosts of this kind, so a figure is read beside it."""
    record = {"id": 123456, "name": "linen shirt", "tags": ["summer", "men", "blue"], "price": 49.5, "sizes": [1, 2, 3]}
    spent = []
    for _ in range(9):
        started = time.thread_time()
        for number in range(4000):
            row = {**record, "id": number, "slug": f"{record['name']}-{number}".replace(" ", "-").upper()}
            hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()
        spent.append(time.thread_time() - started)
    return min(spent) * 1000


def cpu_seconds(pids) -> float:
    """User and system CPU seconds of these processes so far, from /proc; one that has ended counts 0."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> float:
    """CPU seconds processes spent between two readings by pid: one that started in between counts from 0, one that
    ended is left out (the web's pooled connections live as long as their processes)."""
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in after.items())


class Stack:
    def __init__(self, workdir: Path, *, web_processes: int = WEB_PROCESSES, web_threads: int = WEB_THREADS):
        self.port = free_port()
        self.web_processes, self.web_threads = web_processes, web_threads
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tryon.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
            "TRYON_CACHE_URL": "redis://127.0.0.1:6379/13",  # as in production: rate limits counted in Redis
            "TRYON_PRESET": "tiny",
            "TRYON_DB_POOL_SIZE": str(web_threads),  # as deploy/ sets it for the web: its gunicorn thread count
            "TRYON_SERVER_TIMING": "1",  # each answer says the CPU its request took
            "TRYON_VAR_DIR": str(workdir / "var"),
            "TRYON_MEDIA_ROOT": str(workdir / "media"),
            "TRYON_API_WRITE_RATE": "100000/min",  # measuring latency, not the throttle
            "TRYON_API_READ_RATE": "100000/min",
            "HF_HUB_OFFLINE": "1",
            "MALLOC_MMAP_MAX_": "0",
            "MALLOC_TRIM_THRESHOLD_": "536870912",
        }
        self.processes = []
        self.workdir = workdir

    def manage(self, *args) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def psql(self, sql: str) -> None:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True, capture_output=True)

    def prepare(self) -> str:
        """A scratch database with the demo shop, an empty broker; the API key made for the bench."""
        self.psql(f"DROP DATABASE IF EXISTS {DATABASE}")
        self.psql(f"CREATE DATABASE {DATABASE}")
        subprocess.run(["redis-cli", "-n", "14", "flushdb"], check=True, capture_output=True)
        self.manage("migrate", "--noinput")
        self.manage("tryon_demo")
        return self.manage("tryon_apikey", "create", "--merchant", "demo", "--name", "bench").split()[-1]

    def start(self) -> str:
        key = self.prepare()
        # As deploy/ runs it: below the web app (systemd's Nice=10, compose's cpu_shares), one job at a time.
        worker = [
            "nice",
            "-n",
            "10",
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tryon",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
        ]
        worker += ["--queues=tryon,tryon.tiny"]
        # As in production: gunicorn, threads for the many waiting clients, a backlog that takes a burst.
        web = [sys.executable, "-m", "gunicorn", "tryon.wsgi", f"--bind=127.0.0.1:{self.port}"]
        web += [f"--workers={self.web_processes}", f"--threads={self.web_threads}", "--backlog=2048"]
        for name, command in (("worker", worker), ("web", web)):
            log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (lives as long as the process)
            env = {**self.env, "PGAPPNAME": WEB_APPLICATION} if name == "web" else self.env  # libpq names them
            self.processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log))
        deadline = time.monotonic() + 600
        while b" ready." not in (self.workdir / "worker.log").read_bytes() or not self._web_up():
            if time.monotonic() > deadline:
                logs = {name: (self.workdir / f"{name}.log").read_text()[-2000:] for name in ("worker", "web")}
                raise SystemExit(f"the stack did not start:\n{logs['worker']}\n{logs['web']}")
            time.sleep(0.3)
        return key

    def web_cpu_seconds(self) -> float:
        """CPU seconds the web app's processes (gunicorn's workers) have used so far, from /proc."""
        master = self.processes[1].pid
        return cpu_seconds([master, *Path(f"/proc/{master}/task/{master}/children").read_text().split()])

    def database_cpu(self, application: str | None = None) -> dict[str, float]:
        """CPU seconds so far of each PostgreSQL backend serving the scratch database's clients (`application`'s
        only, where given: the web's connections are named WEB_APPLICATION), by pid, from /proc (PostgreSQL runs
        on this machine); cpu_spent() of two readings is what they worked in between."""
        sql = f"SELECT pid FROM pg_stat_activity WHERE datname = '{DATABASE}' AND backend_type = 'client backend'"
        if application:
            sql += f" AND application_name = '{application}'"
        psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", sql]
        found = subprocess.run(psql, capture_output=True, text=True, check=True)
        return {pid: cpu_seconds([pid]) for pid in found.stdout.split()}

    def _web_up(self) -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/schema/", timeout=2)
            return True
        except OSError:
            return False

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker mid-render on a crowded machine: stop it hard
                process.kill()
                process.wait()
        self.psql(f"DROP DATABASE IF EXISTS {DATABASE}")


class Api:
    def __init__(self, port: int, key: str):
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.app_cpu_ms: list[float] = []  # each answer's Server-Timing app-cpu (tryon/server_timing.py)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=self.headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = response.status, json.loads(response.read()), time.perf_counter() - started
                timing = response.headers.get("Server-Timing", "")
                if timing.startswith("app-cpu;dur="):
                    self.app_cpu_ms.append(float(timing.removeprefix("app-cpu;dur=")))
                return answer
        except urllib.error.HTTPError as error:  # an answer all the same: counted, not a crash
            return error.code, json.loads(error.read() or b"{}"), time.perf_counter() - started


def warm_up(api: Api, body: dict, requests: int) -> None:
    """The web app as it runs after serving a while. A new process parses and plans each statement anew on each
    pooled connection until it has run there about ten times (psycopg prepares it after TRYON_DB_PREPARE_THRESHOLD
    runs, PostgreSQL keeps a generic plan after five more); a web app that has served for a minute has done that
    long ago. The same picks again: the reads a new try-on makes (the key, the picks, a reusable job), answered by
    its live job, with nothing to render; a new job's two INSERTs stay cold (PostgreSQL plans one in ~0.02 ms)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = {
            status for status, _job, _seconds in pool.map(lambda _: api.call("POST", "/tryons", body), range(requests))
        }
    if statuses - {200, 202}:
        raise SystemExit(f"warming up, the same picks again answered {statuses}")


def report_submissions(
    steady: list[float], burst: list[float], cpu_per_request: float, database_cpu: float, app_cpu: list[float]
) -> None:
    ms = lambda seconds: f"{seconds * 1000:.0f} ms"  # noqa: E731
    print(f"{len(steady)} POST /api/v1/tryons one after another (worker busy): "
          f"p50 {ms(statistics.median(steady))}, p95 {ms(percentile(steady, 0.95))}")  # fmt: skip
    print(f"{len(burst)} concurrent POST /api/v1/tryons (worker busy): p50 {ms(statistics.median(burst))}, "
          f"p95 {ms(percentile(burst, 0.95))}, max {ms(max(burst))}")  # fmt: skip
    print(f"server CPU per concurrent POST, in the app (Server-Timing, the request's thread): "
          f"median {statistics.median(app_cpu):.1f} ms, p95 {percentile(app_cpu, 0.95):.1f} ms")  # fmt: skip
    print(f"web CPU per concurrent POST, all of gunicorn's processes (from /proc): {cpu_per_request * 1000:.1f} ms")
    print(f"PostgreSQL CPU per concurrent POST, the web's backends (from /proc): {database_cpu * 1000:.1f} ms")
    print("queries per new try-on: 6 at most, 5 with Redis rate limits (tests/tryon/api/test_submission_cost.py)")
    print(f"load average: {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--cache-hits", type=int, default=20)
    parser.add_argument("--web-processes", type=int, default=WEB_PROCESSES, help="gunicorn --workers")
    parser.add_argument("--web-threads", type=int, default=WEB_THREADS, help="gunicorn --threads")
    parser.add_argument("--warm-up", type=int, default=300, help="repeated submissions before measuring (0: cold)")
    args = parser.parse_args()
    if args.jobs < 2 or args.cache_hits < 1 or args.warm_up < 0:
        parser.error("--jobs must be at least 2, --cache-hits at least 1 and --warm-up at least 0")
    if args.web_processes < 1 or args.web_threads < 1:
        parser.error("--web-processes and --web-threads must be at least 1")

    with tempfile.TemporaryDirectory(prefix="tryon-bench-") as workdir:
        stack = Stack(Path(workdir), web_processes=args.web_processes, web_threads=args.web_threads)
        try:
            api = Api(stack.port, stack.start())
            picks = {
                name: api.call("GET", f"/{route}?page_size=1")[1]["results"][0]["id"]
                for name, route in (
                    ("catalog_item_id", "catalog-items"),
                    ("fashion_model_id", "fashion-models"),
                    ("pose_id", "poses"),
                    ("scene_id", "scenes"),
                )
            }
            # Keep the worker busy first, then fire the burst.
            api.call("POST", "/tryons", {**picks, "seed": 10_000})
            warm_up(api, {**picks, "seed": 10_000}, args.warm_up)
            # One shopper at a time, while the worker renders what came before: the everyday case.
            steady = [api.call("POST", "/tryons", {**picks, "seed": 20_000 + n})[2] for n in range(args.jobs // 2)]
            cpu_before, database_before = stack.web_cpu_seconds(), stack.database_cpu(WEB_APPLICATION)
            api.app_cpu_ms = []
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
                answers = list(
                    pool.map(lambda seed: api.call("POST", "/tryons", {**picks, "seed": seed}), range(args.jobs))
                )
            cpu_per_request, app_cpu = (stack.web_cpu_seconds() - cpu_before) / args.jobs, api.app_cpu_ms
            database_cpu = cpu_spent(database_before, stack.database_cpu(WEB_APPLICATION)) / args.jobs
            latencies = [seconds for _status, _job, seconds in answers]
            if refused := [status for status, _job, _seconds in answers if status != 202]:
                raise SystemExit(f"{len(refused)} submissions were not accepted: {refused}")
            job_ids = [job["id"] for _status, job, _seconds in answers]
            # Reported now, before waiting for the burst to render, which takes a while.
            report_submissions(steady, latencies, cpu_per_request, database_cpu, app_cpu)

            started, pending = time.monotonic(), set(job_ids)
            with tqdm(total=len(job_ids), unit="job", desc="Rendering the burst") as bar:
                while pending and time.monotonic() - started < 900:
                    for job_id in list(pending):
                        if api.call("GET", f"/tryons/{job_id}")[1]["status"] in ("succeeded", "failed", "cancelled"):
                            pending.discard(job_id)
                            bar.update()
                    time.sleep(0.5)
            statuses = [api.call("GET", f"/tryons/{job_id}")[1]["status"] for job_id in job_ids]
            drained = time.monotonic() - started

            hits = [api.call("POST", "/tryons", {**picks, "seed": seed}) for seed in range(args.cache_hits)]
            hit_latencies = [seconds for _status, _job, seconds in hits]
            if any(status != 200 for status, _job, _seconds in hits):
                raise SystemExit("a finished try-on's picks must answer 200 at once, with its images")
        finally:
            stack.stop()

    print(f"all {args.jobs} finished {drained:.1f} s after the burst, behind the {1 + len(steady)} queued before it: "
          f"{statuses.count('succeeded')} succeeded, {len(statuses) - statuses.count('succeeded')} not")  # fmt: skip
    hit_p50, hit_p95 = statistics.median(hit_latencies) * 1000, percentile(hit_latencies, 0.95) * 1000
    print(f"{args.cache_hits} cache hits (POST of finished picks, 200 with images): "
          f"p50 {hit_p50:.1f} ms, p95 {hit_p95:.1f} ms")  # fmt: skip
    web = f"gunicorn, {args.web_processes} processes x {args.web_threads} threads on 127.0.0.1"
    print(f"web: {web}, {args.web_threads} pooled connections each, warmed by {args.warm_up} repeated submissions; "
          "worker: one solo-pool process at nice 10, tiny")  # fmt: skip
    print(f"host: {os.cpu_count()} CPUs; its reference work (tryon.bench.submissions.host_speed_ms) took "
          f"{host_speed_ms():.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
