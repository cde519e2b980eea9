"""What one try-on submission costs the server, pinned: a handful of queries, milliseconds of CPU, and none
of the engine's heavy imports. Fifty shoppers at once then get their job ids at once (the latency under load
is measured by `python -m tryon.bench.submissions`).

Counted as in production: the request in autocommit (its transaction's BEGIN and COMMIT are not statements
the ORM logs), the render message sent for real on commit, a worker's heartbeat on record; rate limits in the
database store for the API (Redis in production spares that one query too). The try-ons are warp try-ons of a
garment photographed on white, as shoppers send them: each new one has its instant draft.
"""

import os
import subprocess
import sys
from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PoseFactory
from tests.services import REDIS
from tests.tryon.api.conftest import Storefront
from tests.tryon.garment_photos import striped_garment, upload
from tests.tryon.worker import send_tasks_to_broker
from tryon.catalog.services import garment_create
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import job_queue

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
# The key, the rate counter, the picks with the item's garments, a live identical job? (and the stage-1 person the
# draft dresses), the job (its draft named in it), its garments
MAX_QUERIES = 6
# The shop, the item, its garments and the 3 picks; a live identical job? (and the person); the job; its garments;
# the pick count; the session's new try-on. The session is read and the rate counted in Redis, as in production.
SHOP_MAX_QUERIES = 6


@pytest.fixture
def served(settings):
    settings.TRYON_RATELIMIT_STORE = "database"
    send_tasks_to_broker(True)  # the render message goes to Redis on commit, as in production
    worker_heartbeat_record(hostname="gpu0@bench", queues=["tryon", job_queue("tiny")])
    yield
    send_tasks_to_broker(False)


def warp_storefront() -> Storefront:
    """A storefront whose catalog item is a tee photographed on white: its try-ons are warped, with a draft."""
    storefront = Storefront()
    tee = garment_create(
        merchant=storefront.merchant, name="Breton tee", category="top", image=upload(striped_garment())
    )
    storefront["catalog_item"].garments.set([tee])
    return storefront


def test_a_new_try_on_through_the_api_costs_a_handful_of_queries(served):
    storefront = warp_storefront()
    storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=1), format="json")  # warm: first use

    with CaptureQueriesContext(connection) as queries:
        answer = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=2), format="json")

    assert answer.status_code == 202, answer.json()
    statements = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    assert len(statements) <= MAX_QUERIES, "\n".join(sql[:160] for sql in statements)
    assert [sql for sql in queries.captured_queries if sql["sql"] == "BEGIN"] == [{"sql": "BEGIN", "time": ANY}]
    job = TryOnJob.objects.get(pk=answer.json()["id"])
    assert job.enqueued_at is not None  # the message went out
    assert job.plan["mode"] == "warp" and job.draft and answer.json()["draft_url"]  # the shopper sees it at once
    assert answer.json()["garment_ids"] == [garment.id for garment in storefront["catalog_item"].garments.all()]


def test_the_same_picks_again_answer_from_the_live_job_with_no_more_queries(served, django_assert_max_num_queries):
    storefront = warp_storefront()
    first = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=3), format="json").json()

    with django_assert_max_num_queries(MAX_QUERIES):  # its images and garments read instead of INSERTs
        again = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=3), format="json")

    assert again.json()["id"] == first["id"]


@pytest.fixture
def redis_cache(settings):
    """The shop as production runs it (TRYON_CACHE_URL): rate counters in Redis, sessions read from Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "tryon.redis_clients.RedisCache",  # as tryon.settings configures it
            "LOCATION": f"redis://{REDIS[0]}:{REDIS[1]}/12",
            "KEY_PREFIX": f"test-{os.getpid()}",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.TRYON_RATELIMIT_STORE = "cache"
    yield
    from django.core.cache import cache

    cache.clear()


def test_the_shops_try_on_post_costs_a_handful_of_queries_too(served, redis_cache, client):
    storefront = warp_storefront()
    item, picks = storefront["catalog_item"], {name: storefront[name].id for name in ("fashion_model", "pose", "scene")}
    url = f"/shop/{storefront.merchant.slug}/items/{item.id}/"
    client.post(url, picks, HTTP_ACCEPT="application/json")  # the session exists from the first try-on on

    another_pose = PoseFactory(merchant=storefront.merchant)

    with CaptureQueriesContext(connection) as queries:  # a new render and a first pick: the most a shop POST asks
        answer = client.post(url, {**picks, "pose": another_pose.id}, HTTP_ACCEPT="application/json")

    assert answer.status_code == 201, answer.content
    statements = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    assert len(statements) <= SHOP_MAX_QUERIES, "\n".join(sql[:160] for sql in statements)
    job = TryOnJob.objects.get(pk=answer.json()["id"])
    assert job.pose == another_pose and job.plan["mode"] == "warp"
    assert answer.json()["draft"] and answer.json()["images"] == []  # the draft at once, in the answer itself
    assert client.get(answer.json()["status_url"]).json()["id"] == job.id  # the session knows the new try-on


def test_with_server_timing_on_each_answer_says_the_cpu_its_request_took(served, settings):
    storefront = warp_storefront()
    quiet = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=11), format="json")
    settings.TRYON_SERVER_TIMING = True  # as python -m tryon.bench.submissions runs the web app

    timed = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=12), format="json")

    assert "Server-Timing" not in quiet  # off by default: a public deployment need not say how long it thought
    name, _, duration = timed["Server-Timing"].partition(";dur=")
    assert timed.status_code == 202 and name == "app-cpu" and 0 < float(duration) < 60_000


def test_the_same_picks_with_another_seed_share_the_draft_instead_of_warping_again(served, caplog):
    storefront = warp_storefront()
    first = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=5), format="json").json()

    caplog.clear()
    with caplog.at_level("INFO", logger="tryon.jobs.drafts"):
        second = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=6), format="json").json()

    assert first["id"] != second["id"]
    drafts = TryOnJob.objects.filter(pk__in=[first["id"], second["id"]]).values_list("draft", flat=True)
    assert len(set(drafts)) == 1 and "draft" in drafts[0]
    assert not [record for record in caplog.records if "made in" in record.getMessage()]  # no warp, no encode


# The engine and the scorers' image libraries. OpenCV is not here: the instant draft of a warp try-on warps the
# garments onto the person in the request (tryon.jobs.drafts), by design, and the admin's upload checks use it;
# the web process loads it at start-up (tryon.wsgi), and the draft's spline needs neither scipy nor skimage.
HEAVY = ("torch", "diffusers", "transformers", "skimage", "scipy")
LOAD_THE_WEB_APP = """
import sys, django
django.setup()
from django.urls import resolve
import tryon.urls
for path in ("/api/v1/tryons", "/shop/demo/items/1/"):
    resolve(path)
import tryon.api.apis.tryons, tryon.shop.views, tryon.jobs.services, tryon.api.selectors, tryon.wsgi
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


def test_a_try_on_of_a_shoppers_own_model_reads_its_picks_in_one_query_too(served):
    storefront = warp_storefront()
    made = storefront.client.post(
        "/api/v1/shopper-models",
        {"gender_presentation": "feminine", "age_range": "25-34", "body_type": "slim", "skin_tone": "deep"},
        format="json",
    ).json()
    body = {name: value for name, value in storefront.tryon_body(seed=13).items() if name != "fashion_model_id"}
    storefront.client.post("/api/v1/tryons", {**body, "shopper_model_id": made["id"]}, format="json")  # warm

    with CaptureQueriesContext(connection) as queries:
        answer = storefront.client.post(
            "/api/v1/tryons", {**body, "seed": 14, "shopper_model_id": made["id"]}, format="json"
        )

    assert answer.status_code == 202, answer.json()
    statements = [query["sql"] for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT")]
    # As a catalog model's, plus the shopper model itself and its "last used" (the idle sweep goes by it)
    assert len(statements) <= MAX_QUERIES + 2, "\n".join(sql[:160] for sql in statements)
    assert TryOnJob.objects.get(pk=answer.json()["id"]).fashion_model_id != storefront["fashion_model"].id


def test_a_storefronts_submissions_are_planned_once_per_connection_not_once_per_request(served, settings):
    if not settings.TRYON_DB_PREPARE_THRESHOLD:
        pytest.skip("TRYON_DB_PREPARE_THRESHOLD=0: prepared statements are off here")
    storefront = warp_storefront()  # the test client keeps its connection between requests, as the pool does
    for seed in range(20, 21 + settings.TRYON_DB_PREPARE_THRESHOLD):
        answer = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=seed), format="json")
        assert answer.status_code == 202, answer.json()

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]

    # The key, the picks and the new job: the same text each time, values bound by the server, so PostgreSQL
    # parses and plans them once on this connection (they were ~40 % of its CPU per submission)
    for table in ('"api_storefrontkey"', '"catalog_pose"', 'INSERT INTO "jobs_tryonjob"'):
        assert [statement for statement in prepared if table in statement and "$1" in statement], table


def test_a_delete_of_more_rows_than_postgresql_binds_in_one_statement_is_cut_into_batches():
    from django.db.models.deletion import Collector

    from tryon.db.postgresql.base import MAX_BOUND_VALUES

    objs = range(3 * MAX_BOUND_VALUES)  # a large merchant's jobs, deleted in cascade from the admin
    batches = Collector(using="default").get_del_batches(objs, [TryOnJob._meta.get_field("merchant")])

    assert sum(len(batch) for batch in batches) == len(objs)
    assert max(len(batch) for batch in batches) <= MAX_BOUND_VALUES  # each one statement's `IN (...)`
    assert connection.ops.bulk_batch_size(["a", "b"], objs) == MAX_BOUND_VALUES // 2
