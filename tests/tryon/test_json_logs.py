"""An operator ships logs to a pipeline: TRYON_LOG_FORMAT=json writes one JSON object per line, and every line
logged while a job is handled names the job and its merchant, whichever module wrote it."""

import io
import json
import logging
import time

import pytest

from tests.factories import MerchantFactory, shop_with_picks
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, worker_queues
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_create
from tryon.logs import JobContextFilter, JsonFormatter, job_logging


def json_logger(stream) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(JobContextFilter())
    logger = logging.getLogger("tests.json_logs")
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
    return logger


def test_a_line_is_one_json_object_and_names_the_job_only_inside_its_context():
    stream = io.StringIO()
    logger = json_logger(stream)

    logger.info("before any job")
    with job_logging(job_id=42, merchant="acme"):
        logger.warning("rendering %s", "slowly")
        try:
            raise MemoryError("CUDA out of memory")
        except MemoryError:
            logger.exception("Try-on #42 failed")
    logger.info("after it")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "before any job",
        "rendering slowly",
        "Try-on #42 failed",
        "after it",
    ]
    assert set(lines[0]) == {"time", "level", "logger", "message"}
    assert lines[1] | {"time": None} == {
        "time": None,
        "level": "WARNING",
        "logger": "tests.json_logs",
        "message": "rendering slowly",
        "job_id": 42,
        "merchant": "acme",
    }
    assert lines[2]["job_id"] == 42 and "MemoryError: CUDA out of memory" in lines[2]["exception"]
    assert "job_id" not in lines[3]
    assert lines[0]["time"].endswith("+00:00")


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_workers_lines_about_a_job_are_json_with_its_id_and_merchant(tmp_path):
    send_tasks_to_broker(True)
    env = {**env_for_test_database(), "TRYON_LOG_FORMAT": "json"}
    worker = WorkerProcess(tmp_path, env, worker_queues()).start()
    try:
        shop = shop_with_picks(MerchantFactory(slug="json-logs-shop"))
        job = tryon_job_create(**shop, seed=11)
        deadline = time.monotonic() + 120
        while not (job := TryOnJob.objects.get(pk=job.pk)).is_finished and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.stop()
        send_tasks_to_broker(False)
    assert job.status == "succeeded", f"{job.error}\n{worker.log}"

    records = [json.loads(line) for line in worker.log.splitlines() if line.startswith("{")]
    ours = [record for record in records if record["logger"].startswith(("tryon", "generation"))]
    assert ours, worker.log
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    about_the_job = [record for record in ours if f"#{job.id}" in record["message"]]
    assert [record["message"] for record in about_the_job][-1] == f"Try-on #{job.id} succeeded after " + (
        f"{job.render_seconds:.1f} s of rendering"
    )
    assert all(record.get("job_id") == job.id for record in about_the_job), about_the_job
    assert all(record.get("merchant") == "json-logs-shop" for record in about_the_job), about_the_job
    # No text-format log line slipped through (Celery's start-up banner is printed, not logged).
    assert not [line for line in worker.log.splitlines() if " INFO tryon." in line or " INFO celery." in line]
