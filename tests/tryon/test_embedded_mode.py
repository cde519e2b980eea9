"""`make run`'s embedded default, with no server anywhere: SQLite, the SQLite-file broker, one worker
process. A newcomer's first try-on must work exactly like this."""

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from django.conf import settings
from PIL import Image

from tests.tryon.worker import WorkerProcess

pytestmark = pytest.mark.slow

CREATE_JOB = """
from tryon.catalog.models import CatalogItem, FashionModel, Pose, Scene
from tryon.jobs.services import tryon_job_create
from tryon.merchants.models import Merchant
merchant = Merchant.objects.get(slug="demo")
job = tryon_job_create(
    merchant=merchant,
    catalog_item=CatalogItem.objects.get(merchant=merchant, sku="DEMO-DRESS"),
    fashion_model=FashionModel.objects.filter(merchant=merchant).first(),
    pose=Pose.objects.filter(merchant=merchant).first(),
    scene=Scene.objects.filter(merchant=merchant).first(),
    seed=11,
)
print(job.id)
"""


@pytest.fixture
def embedded_env(tmp_path):
    """The environment of a fresh machine: none of the service URLs, only where to keep files."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "CELERY_BROKER_URL", "TRYON_QUEUE", "DJANGO_SETTINGS_MODULE")
    }
    env.update(TRYON_VAR_DIR=str(tmp_path / "var"), TRYON_MEDIA_ROOT=str(tmp_path / "media"), TRYON_PRESET="tiny")
    return env


def manage(env, *args) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_try_on_renders_on_the_embedded_database_and_broker(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--noinput")
    assert "Demo shop ready" in manage(embedded_env, "tryon_demo")
    worker = WorkerProcess(tmp_path, embedded_env, queue="tryon,tryon.tiny").start()
    try:
        job_id = int(manage(embedded_env, "shell", "--no-imports", "-c", CREATE_JOB).strip())
        database = sqlite3.connect(tmp_path / "var" / "db.sqlite3")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            query = "SELECT status, error FROM jobs_tryonjob WHERE id = ?"
            status, error = database.execute(query, [job_id]).fetchone()
            if status in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.3)
        (image_name,) = database.execute("SELECT file FROM jobs_generatedimage WHERE job_id = ?", [job_id]).fetchone()
    finally:
        worker.stop()

    assert status == "succeeded", f"{error}\n{worker.log}"
    with Image.open(tmp_path / "media" / image_name) as png:
        assert png.format == "PNG" and "Seed: 11" in png.info["parameters"]
    assert (tmp_path / "var" / "celery-broker.sqlite3").is_file()  # the embedded broker carried the job
