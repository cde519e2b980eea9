"""An operator's load balancer asks whether the app is up and ready; readiness names what is down."""

from datetime import timedelta

import pytest
from django.utils import timezone

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
