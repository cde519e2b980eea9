"""An operator's load balancer asks whether the app is up and ready; readiness names what is down."""

import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.services import reachable
from tryon.jobs.models import SweeperState

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def swept(seconds_ago: float) -> None:
    SweeperState.objects.update_or_create(
        name="jobs", defaults={"last_run_at": timezone.now() - timedelta(seconds=seconds_ago), "last_run_by": "w1@host"}
    )


def test_healthz_answers_while_the_process_is_up(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_when_database_broker_storage_and_a_recent_sweep_are_there(client):
    swept(5)

    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "storage": "ok", "sweeper": "ok"}


def test_not_ready_when_no_worker_has_swept_lately(client, settings):
    settings.TRYON_WORKER_SWEEP_INTERVAL = 60
    swept(600)

    response = client.get("/readyz")

    assert response.status_code == 503 and response.json()["down"] == ["sweeper"]
    assert "last ran 600 s ago (by w1@host); expected at least every 180 s" in response.json()["checks"]["sweeper"]


def test_not_ready_when_the_sweeper_never_ran(client):
    response = client.get("/readyz")

    assert response.status_code == 503 and "never ran" in response.json()["checks"]["sweeper"]


def test_not_ready_when_the_broker_is_unreachable_and_it_says_so_quickly(client):
    from tryon.celery import app

    swept(5)
    before = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = before

    assert response.status_code == 503 and response.json()["down"] == ["broker"]
    assert response.json()["checks"]["broker"].startswith("down: ")


class PrivateRedis:
    """A Redis of this test's own on a free port, to stop and start at will (never the shared one on 6379)."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> "PrivateRedis":
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not reachable(("127.0.0.1", self.port)):
            assert self.process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis().start()
    yield redis
    redis.stop()


def test_readiness_names_the_broker_while_its_redis_is_down_and_recovers_when_it_is_back(client, private_redis):
    from tryon.celery import app

    swept(5)
    before = app.conf.broker_url
    app.conf.broker_url = private_redis.url
    try:
        assert client.get("/readyz").status_code == 200

        private_redis.stop()
        down = client.get("/readyz")
        assert down.status_code == 503, down.json()
        assert down.json()["down"] == ["broker"] and down.json()["checks"]["broker"].startswith("down: ")
        assert down.json()["checks"]["database"] == "ok"

        private_redis.start()
        assert client.get("/readyz").status_code == 200
    finally:
        app.conf.broker_url = before
