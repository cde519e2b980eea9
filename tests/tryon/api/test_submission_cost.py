"""What one try-on submission costs the server, pinned: a handful of queries, milliseconds of CPU, and none
of the engine's heavy imports. Fifty shoppers at once then get their job ids at once (the latency under load
is measured by `python -m tryon.bench.submissions`).

Counted as in production: the request in autocommit (its transaction's BEGIN and COMMIT are not statements
the ORM logs), the render message sent for real on commit, a worker's heartbeat on record; rate limits in the
database store (Redis in production spares that one query too).
"""

import os
import subprocess
import sys
from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PoseFactory
from tests.tryon.api.conftest import Storefront
from tests.tryon.worker import send_tasks_to_broker
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import job_queue

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
# The key, the rate counter, the picks with the item's garments, a live identical job?, the job, its garments
MAX_QUERIES = 6
SHOP_MAX_QUERIES = 23  # the session, the item and its gallery, 3 picks, 2 rate counters, the pick count, ...


@pytest.fixture
def served(settings):
    settings.TRYON_RATELIMIT_STORE = "database"
    send_tasks_to_broker(True)  # the render message goes to Redis on commit, as in production
    worker_heartbeat_record(hostname="gpu0@bench", queues=["tryon", job_queue("tiny")])
    yield
    send_tasks_to_broker(False)


def test_a_new_try_on_through_the_api_costs_a_handful_of_queries(served):
    storefront = Storefront()
    storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=1), format="json")  # warm: first use

    with CaptureQueriesContext(connection) as queries:
        answer = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=2), format="json")

    assert answer.status_code == 202, answer.json()
    statements = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    assert len(statements) <= MAX_QUERIES, "\n".join(sql[:160] for sql in statements)
    assert [sql for sql in queries.captured_queries if sql["sql"] == "BEGIN"] == [{"sql": "BEGIN", "time": ANY}]
    assert TryOnJob.objects.get(pk=answer.json()["id"]).enqueued_at is not None  # the message went out
    assert answer.json()["garment_ids"] == [garment.id for garment in storefront["catalog_item"].garments.all()]


def test_the_same_picks_again_answer_from_the_live_job_with_no_more_queries(served, django_assert_max_num_queries):
    storefront = Storefront()
    first = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=3), format="json").json()

    with django_assert_max_num_queries(MAX_QUERIES):  # its images and garments read instead of INSERTs
        again = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=3), format="json")

    assert again.json()["id"] == first["id"]


def test_the_shops_try_on_post_costs_a_handful_of_queries_too(served, client, django_assert_max_num_queries):
    storefront = Storefront()
    item, picks = storefront["catalog_item"], {name: storefront[name].id for name in ("fashion_model", "pose", "scene")}
    url = f"/shop/{storefront.merchant.slug}/items/{item.id}/"
    client.post(url, picks, HTTP_ACCEPT="application/json")  # the session exists from the first try-on on

    another_pose = PoseFactory(merchant=storefront.merchant)

    with django_assert_max_num_queries(SHOP_MAX_QUERIES):  # a new render: the most a shop POST asks
        answer = client.post(url, {**picks, "pose": another_pose.id}, HTTP_ACCEPT="application/json")

    assert answer.status_code == 201, answer.content


# The engine and the scorers' image libraries. OpenCV is not here: the instant draft of a warp try-on warps the
# garments onto the person in the request (tryon.jobs.drafts), by design, and the admin's upload checks use it.
HEAVY = ("torch", "diffusers", "transformers", "skimage", "scipy")
LOAD_THE_WEB_APP = """
import sys, django
django.setup()
from django.urls import resolve
import tryon.urls
for path in ("/api/v1/tryons", "/shop/demo/items/1/"):
    resolve(path)
import tryon.api.apis.tryons, tryon.shop.views, tryon.jobs.services, tryon.api.selectors
print(",".join(sorted(name for name in %r if name in sys.modules)))
"""


def test_the_web_app_never_imports_the_engine_or_the_scorers():
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_THE_WEB_APP % (HEAVY,)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    ).stdout.strip()

    assert loaded == "", f"the web process imported {loaded}"
