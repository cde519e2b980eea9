"""What most stories start from: a merchant's shop with one of every pick, its staff, a real worker."""

import pytest

from tests.factories import StaffFactory, shop_with_picks
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, worker_queues


@pytest.fixture(autouse=True)
def presets_never_served():
    """Each story starts with no preset known to be served: a process remembers it (tryon.jobs.heartbeats)."""
    from tryon.jobs import heartbeats

    heartbeats._SERVED.clear()


@pytest.fixture
def shop():
    return shop_with_picks()


@pytest.fixture
def staff_client(client, shop):
    """The admin, signed in as a member of the shop's merchant's staff."""
    client.force_login(StaffFactory(merchant=shop["merchant"]))
    return client


@pytest.fixture
def worker(tmp_path):
    """A real Celery worker process on this test's database; tasks go to it through the broker."""
    send_tasks_to_broker(True)
    process = WorkerProcess(tmp_path, env_for_test_database(), worker_queues()).start()
    yield process
    process.stop()
    send_tasks_to_broker(False)
