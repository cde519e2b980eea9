"""/metrics in Prometheus text: requests and queries (django-prometheus), jobs and workers (the database).

Web processes and workers run on many machines, so nothing about jobs is counted in a process's memory:
the collector below reads the job table and the worker heartbeats when Prometheus scrapes, and every web
process answers the same numbers. Requests and queries are counted per process by django-prometheus (its
middleware and database wrappers, tryon.settings); under gunicorn with several processes set
PROMETHEUS_MULTIPROC_DIR so that they are summed across them.

GPU memory is only reported by a process that already uses CUDA: the web process never imports torch
for it. A render worker serves its own GPU memory and process metrics on TRYON_WORKER_METRICS_PORT.

TRYON_METRICS_TOKEN set: a scrape must send `Authorization: Bearer <token>`.
"""

import hmac
import logging
import sys
from datetime import timedelta

from celery.signals import worker_ready
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    ProcessCollector,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from tryon.env import env_str

logger = logging.getLogger(__name__)

# Seconds. Tiny renders take well under a second on CPU; full-size ones up to the hard time limit.
RENDER_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200)
# Seconds from submission to a worker's claim: near zero when a worker is idle, minutes behind a batch.
QUEUE_WAIT_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class JobCollector:
    """Try-on jobs and workers as the database has them now, read at scrape time."""

    def collect(self):
        from tryon.jobs.models import TryOnJob

        jobs = TryOnJob.objects.order_by()  # the model's ordering would join the GROUP BY
        yield self._jobs(jobs)
        yield self._histogram(
            "tryon_job_render_seconds",
            "Seconds a finished render took on its worker (TryOnJob.render_seconds), by preset.",
            jobs.filter(render_seconds__isnull=False).annotate(value=F("render_seconds")),
            RENDER_BUCKETS,
            lambda bound: bound,
        )
        waited = ExpressionWrapper(F("started_at") - F("created_at"), output_field=DurationField())
        yield self._histogram(
            "tryon_job_queue_wait_seconds",
            "Seconds from a job's submission to its (last) claim by a worker, by preset.",
            jobs.filter(started_at__isnull=False).annotate(value=waited),
            QUEUE_WAIT_BUCKETS,
            lambda bound: timedelta(seconds=bound),
        )
        served = self._workers()
        yield from self._queue(jobs, presets=served.keys())
        yield self._workers_family(served)
        yield from gpu_memory()

    def _jobs(self, jobs) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "tryon_jobs",
            "Try-on jobs in the database by status, preset and failure code (empty unless failed or cancelled).",
            labels=["status", "preset", "failure_code"],
        )
        for row in jobs.values("status", "preset", "failure_code").annotate(count=Count("pk")):
            family.add_metric([row["status"], row["preset"], row["failure_code"] or ""], row["count"])
        return family

    def _histogram(self, name, documentation, rows, buckets, bound_of) -> HistogramMetricFamily:
        """Cumulative bucket counts computed by the database, one row per preset."""
        counts = {f"le_{i}": Count("pk", filter=Q(value__lte=bound_of(bound))) for i, bound in enumerate(buckets)}
        family = HistogramMetricFamily(name, documentation, labels=["preset"])
        for row in rows.values("preset").annotate(count=Count("pk"), total=Sum("value"), **counts):
            total = row["total"] or 0
            total = total.total_seconds() if isinstance(total, timedelta) else float(total)
            cumulative = [(_bound(bound), row[f"le_{index}"]) for index, bound in enumerate(buckets)]
            family.add_metric([row["preset"]], [*cumulative, ("+Inf", row["count"])], sum_value=total)
        return family

    def _workers(self) -> dict[str, int]:
        """Live workers per preset; presets whose workers have all gone count 0, so an alert can see them."""
        from tryon.jobs.models import WorkerHeartbeat

        since = timezone.now() - timedelta(seconds=3 * settings.TRYON_WORKER_HEARTBEAT)  # as presets_alive
        alive: dict[str, int] = {}
        for presets, seen_at in WorkerHeartbeat.objects.values_list("presets", "seen_at"):
            for preset in presets:
                alive[preset] = alive.get(preset, 0) + (seen_at >= since)
        return alive

    def _workers_family(self, alive: dict[str, int]) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "tryon_workers_alive",
            "Workers serving each preset whose heartbeat is recent (within three TRYON_WORKER_HEARTBEAT).",
            labels=["preset"],
        )
        for preset, count in sorted(alive.items()):
            family.add_metric([preset], count)
        return family

    def _queue(self, jobs, *, presets):
        depth = GaugeMetricFamily("tryon_queue_depth", "Queued try-on jobs waiting for a worker.", labels=["preset"])
        oldest = GaugeMetricFamily(
            "tryon_queue_oldest_seconds", "Age of the oldest queued try-on job, in seconds.", labels=["preset"]
        )
        queued = {
            row["preset"]: row
            for row in jobs.filter(status=jobs.model.Status.QUEUED)
            .values("preset")
            .annotate(count=Count("pk"), oldest=Min("created_at"))
        }
        now = timezone.now()
        for preset in sorted(set(presets) | set(queued)):
            row = queued.get(preset)
            depth.add_metric([preset], row["count"] if row else 0)
            oldest.add_metric([preset], (now - row["oldest"]).total_seconds() if row else 0)
        yield depth
        yield oldest


def _bound(bound: float) -> str:
    return str(float(bound))  # as prometheus-client writes its own buckets: "0.5", "1.0"


def gpu_memory():
    """CUDA memory of this process's devices, only where torch is imported and CUDA is already in use."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_initialized():  # is_initialized never starts a CUDA context
        return
    allocated = GaugeMetricFamily("tryon_gpu_memory_allocated_bytes", "GPU memory held by tensors.", labels=["device"])
    reserved = GaugeMetricFamily(
        "tryon_gpu_memory_reserved_bytes", "GPU memory reserved by torch's caching allocator.", labels=["device"]
    )
    total = GaugeMetricFamily("tryon_gpu_memory_total_bytes", "The GPU's memory.", labels=["device"])
    for index in range(torch.cuda.device_count()):
        label = [f"cuda:{index}"]
        allocated.add_metric(label, torch.cuda.memory_allocated(index))
        reserved.add_metric(label, torch.cuda.memory_reserved(index))
        total.add_metric(label, torch.cuda.get_device_properties(index).total_memory)
    yield from (allocated, reserved, total)


class _GpuCollector:
    def collect(self):
        yield from gpu_memory()


@worker_ready.connect
def _serve_worker_metrics(**_kwargs) -> None:
    """A render worker's GPU memory and process metrics on a port of its own; jobs are the web's /metrics."""
    port, addr = settings.TRYON_WORKER_METRICS_PORT, settings.TRYON_WORKER_METRICS_ADDR
    if not port:
        return
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    registry.register(_GpuCollector())
    try:
        start_http_server(port, addr=addr, registry=registry)
    except OSError as error:  # a second worker on this machine with the same port: it renders all the same
        logger.error("Worker metrics not served on %s:%s: %s (give each worker its own port)", addr, port, error)


class _Scrape:
    """What one scrape shows: this process's (or all processes') registry, then the database's numbers."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()
        yield from JobCollector().collect()


def _process_registry():
    if env_str("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _authorized(request) -> bool:
    token = settings.TRYON_METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@require_GET
@never_cache
def metrics(request):
    if not _authorized(request):
        response = HttpResponse("A valid `Authorization: Bearer <TRYON_METRICS_TOKEN>` is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(generate_latest(_Scrape(_process_registry())), content_type=CONTENT_TYPE_LATEST)
