"""An operator's Prometheus scrapes /metrics: requests and queries, and the jobs and workers of every machine."""

import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import shop_with_picks
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, worker_queues
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import job_queue, tryon_job_create

pytestmark = [pytest.mark.services]


def scrape(client, **headers) -> dict:
    """{(sample name, sorted labels): value} of one scrape, parsed by prometheus-client's own parser."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_need_the_token_when_one_is_set(client, settings):
    settings.TRYON_METRICS_TOKEN = "s3cret-scraper"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    refused = client.get("/metrics", HTTP_AUTHORIZATION="s3cret-scraper")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "tryon_jobs" in client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper").content.decode()

    settings.TRYON_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_requests_and_database_queries_are_counted(client):
    client.get("/healthz")
    client.get("/healthz")

    samples = scrape(client)

    by_view = "django_http_responses_total_by_status_view_method_total"
    assert value(samples, by_view, status="200", view="healthz", method="GET") >= 2
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    assert value(samples, "django_db_execute_total", alias="default", vendor=vendor) > 0


@pytest.mark.django_db
def test_queue_depth_jobs_by_failure_code_and_live_workers_come_from_the_database(client):
    shop = shop_with_picks()
    queued = [tryon_job_create(**shop, seed=seed, enqueue=False) for seed in (1, 2, 3, 4)]
    TryOnJob.objects.filter(pk=queued[0].pk).update(status="failed", failure_code="out_of_memory")
    rendered = TryOnJob.objects.filter(pk=queued[3].pk)
    rendered.update(status="succeeded", render_seconds=3.5, started_at=queued[3].created_at + timedelta(seconds=7))
    worker_heartbeat_record(hostname="gpu-1@a", queues=[job_queue("tiny")])
    worker_heartbeat_record(hostname="gpu-2@b", queues=[job_queue("tiny-sdxl")])
    worker_heartbeat_record(hostname="gpu-3@c", queues=[job_queue("tiny-sdxl")])

    samples = scrape(client)

    assert value(samples, "tryon_queue_depth", preset="tiny") == 2
    assert value(samples, "tryon_queue_oldest_seconds", preset="tiny") > 0
    assert ("tryon_queue_depth", (("preset", "tiny-sdxl"),)) in samples  # served, nothing waiting: 0, not absent
    assert value(samples, "tryon_jobs", status="queued", preset="tiny", failure_code="") == 2
    assert value(samples, "tryon_jobs", status="failed", preset="tiny", failure_code="out_of_memory") == 1
    assert value(samples, "tryon_workers_alive", preset="tiny") == 1
    assert value(samples, "tryon_workers_alive", preset="tiny-sdxl") == 2
    # Buckets are counted by the database: 3.5 s of rendering is above 2 s and within 5 s; 7 s of waiting too.
    assert value(samples, "tryon_job_render_seconds_bucket", preset="tiny", le="2.0") == 0
    assert value(samples, "tryon_job_render_seconds_bucket", preset="tiny", le="5.0") == 1
    assert value(samples, "tryon_job_render_seconds_sum", preset="tiny") == 3.5
    assert value(samples, "tryon_job_queue_wait_seconds_bucket", preset="tiny", le="5.0") == 0
    assert value(samples, "tryon_job_queue_wait_seconds_bucket", preset="tiny", le="10.0") == 1
    assert value(samples, "tryon_job_queue_wait_seconds_sum", preset="tiny") == pytest.approx(7)


@pytest.fixture
def worker_with_metrics_port(tmp_path):
    """A real worker serving its own metrics (GPU memory, its process) on a free port of 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    send_tasks_to_broker(True)
    env = {**env_for_test_database(), "TRYON_WORKER_METRICS_PORT": str(port)}
    process = WorkerProcess(tmp_path, env, worker_queues()).start()
    process.metrics_url = f"http://127.0.0.1:{port}/metrics"
    yield process
    process.stop()
    send_tasks_to_broker(False)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_job_metrics_move_after_a_real_render(client, worker_with_metrics_port):
    worker = worker_with_metrics_port
    before = scrape(client)
    job = tryon_job_create(**shop_with_picks(), seed=7)

    deadline = time.monotonic() + 120
    while not (job := TryOnJob.objects.get(pk=job.pk)).is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.status == "succeeded", f"{job.error}\n{worker.log}"
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("tryon_jobs", status="succeeded", preset="tiny", failure_code="") == 1
    assert moved("tryon_job_render_seconds_count", preset="tiny") == 1
    assert moved("tryon_job_render_seconds_sum", preset="tiny") == pytest.approx(job.render_seconds)
    assert moved("tryon_job_render_seconds_bucket", preset="tiny", le="+Inf") == 1
    assert moved("tryon_job_queue_wait_seconds_count", preset="tiny") == 1
    waited = (job.started_at - job.created_at).total_seconds()
    assert moved("tryon_job_queue_wait_seconds_sum", preset="tiny") == pytest.approx(waited, abs=1e-3)
    assert value(after, "tryon_queue_depth", preset="tiny") == 0
    assert value(after, "tryon_workers_alive", preset="tiny") == 1

    # The worker's own port: its process, and GPU memory only where it renders on CUDA (never here on CPU).
    own = {family.name for family in text_string_to_metric_families(requests.get(worker.metrics_url, timeout=5).text)}
    assert "process_resident_memory_bytes" in own
    assert ("tryon_gpu_memory_allocated_bytes" in own) == ("Pipeline for preset 'tiny' loaded on cuda" in worker.log)


def test_scraping_never_imports_torch_into_a_web_process():
    """GPU memory is read only where CUDA is already in use: /metrics must not load torch (seconds, gigabytes)."""
    code = (
        "import sys; from tryon.metrics import gpu_memory; "
        "assert list(gpu_memory()) == []; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=settings.BASE_DIR)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_gpu_memory_is_reported_where_cuda_is_in_use():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    from tryon.metrics import gpu_memory

    held = torch.ones(1024, 1024, device="cuda")  # 4 MiB, and CUDA is initialised
    families = {family.name: family for family in gpu_memory()}

    allocated = {
        sample.labels["device"]: sample.value for sample in families["tryon_gpu_memory_allocated_bytes"].samples
    }
    assert allocated["cuda:0"] >= held.numel() * 4
    total = families["tryon_gpu_memory_total_bytes"].samples[0].value
    assert total == torch.cuda.get_device_properties(0).total_memory
