"""Rate limits hold for the whole deployment, not per process: two gunicorn processes and twenty requests
at once on new connections spend one budget, in the database store (the embedded default) and in Redis.
Staff are exempt from the shopper limit only in their own merchant's shop."""

import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import connections

from tests.factories import PoseFactory, SceneFactory, StaffFactory, shop_with_picks
from tests.tryon.web import Gunicorn
from tests.tryon.worker import env_for_test_database
from tryon.api.services import storefront_key_create
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import job_queue
from tryon.ratelimits import counters

AT_ONCE = 20
API_BUDGET = 10
SHOP_BUDGET = 5
STORES = {
    "database": {"TRYON_RATELIMIT_STORE": "database"},
    "redis": {"TRYON_CACHE_URL": "redis://127.0.0.1:6379/13"},  # with a key prefix of its own, below
}


def call(url: str, *, method="GET", body: bytes | None = None, headers=None) -> tuple[int, bytes, dict]:
    """One request on a new connection; an error status is an answer like any other."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def all_at_once(requests: list) -> list:
    start_together = threading.Barrier(len(requests))

    def send(request):
        start_together.wait(timeout=60)
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


@pytest.fixture(params=list(STORES))
def two_web_processes(request, tmp_path):
    env = {
        **env_for_test_database(),
        **STORES[request.param],
        "TRYON_CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "TRYON_API_READ_RATE": f"{API_BUDGET}/day",  # a day: the window does not turn during the test
        "TRYON_SHOP_RENDERS_PER_WINDOW": str(SHOP_BUDGET),
        "TRYON_SHOP_WINDOW_SECONDS": "86400",
        "CELERY_BROKER_URL": "memory://",  # renders are asked for, not done
    }
    servers = [Gunicorn(tmp_path, env), Gunicorn(tmp_path, env)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


pytestmark = [pytest.mark.django_db]


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_one_budget_per_key_and_per_shopper(two_web_processes):
    first, second = two_web_processes
    shop = shop_with_picks()
    poses = [shop["pose"], *(PoseFactory(merchant=shop["merchant"], name=f"Pose {n}") for n in range(4))]
    scenes = [shop["scene"], *(SceneFactory(merchant=shop["merchant"], name=f"Scene {n}") for n in range(3))]
    _row, key = storefront_key_create(merchant=shop["merchant"], name="Storefront")
    worker_heartbeat_record(hostname="gpu-1", queues=[job_queue(settings.TRYON_PRESET)])  # renders are accepted
    connections.close_all()  # the servers read what this test wrote

    # The API: twenty reads at once with one key, half through each process.
    reads = [
        lambda url=server.url: call(f"{url}/api/v1/poses", headers={"Authorization": f"Bearer {key}"})
        for server in (first, second) * (AT_ONCE // 2)
    ]
    statuses = sorted(status for status, _body, _headers in all_at_once(reads))
    assert statuses == [200] * API_BUDGET + [429] * (AT_ONCE - API_BUDGET), first.log + second.log
    assert call(f"{second.url}/api/v1/poses", headers={"Authorization": f"Bearer {key}"})[0] == 429

    # The shop: twenty new try-ons at once from one address, each on a new connection and session.
    product = f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/"
    _status, _page, headers = call(first.url + product)
    token = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    shopper = {"Cookie": f"csrftoken={token}", "X-CSRFToken": token, "Accept": "application/json"}
    shopper["Content-Type"] = "application/x-www-form-urlencoded"
    picks = [(pose.id, scene.id) for pose in poses for scene in scenes]
    assert len(picks) == AT_ONCE
    tries = [
        lambda url=server.url, pose=pose, scene=scene: call(
            url + product,
            method="POST",
            body=f"fashion_model={shop['fashion_model'].id}&pose={pose}&scene={scene}".encode(),
            headers=shopper,
        )
        for server, (pose, scene) in zip((first, second) * (AT_ONCE // 2), picks, strict=True)
    ]
    answers = all_at_once(tries)
    statuses = sorted(status for status, _body, _headers in answers)
    assert statuses == [201] * SHOP_BUDGET + [429] * (AT_ONCE - SHOP_BUDGET), [
        (status, body[:200]) for status, body, _headers in answers
    ]
    assert TryOnJob.objects.count() == SHOP_BUDGET  # the refused ones left nothing behind
    assert all(int(headers["Retry-After"]) > 0 for status, _body, headers in answers if status == 429)


def product_url(shop) -> str:
    return f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/"


def new_render(client, shop, pose) -> int:
    picks = {"fashion_model": shop["fashion_model"].id, "pose": pose.id, "scene": shop["scene"].id}
    return client.post(product_url(shop), picks, HTTP_ACCEPT="application/json").status_code


def test_staff_are_exempt_from_the_shopper_limit_in_their_own_shop_only(client, settings):
    settings.TRYON_SHOP_RENDERS_PER_WINDOW = 1
    ours, theirs = shop_with_picks(), shop_with_picks()
    client.force_login(StaffFactory(merchant=theirs["merchant"]))

    in_another_shop = [new_render(client, ours, PoseFactory(merchant=ours["merchant"])) for _ in range(2)]
    in_their_own_shop = [new_render(client, theirs, PoseFactory(merchant=theirs["merchant"])) for _ in range(3)]

    assert in_another_shop == [201, 429]
    assert in_their_own_shop == [201, 201, 201]


@pytest.mark.parametrize("store", ["database", pytest.param("cache", marks=pytest.mark.services)])
def test_a_counter_counts_hits_gives_one_back_and_starts_again_with_the_next_window(settings, monkeypatch, store):
    settings.TRYON_RATELIMIT_STORE = store
    if store == "cache":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/13",
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    clock = [1_000_000 * 60 + 10.0]
    monkeypatch.setattr(counters, "_now", lambda: clock[0])

    hits = [counters.hit("someone", window=60) for _ in range(3)]
    counters.take_back("someone", window=60)
    after_giving_back = counters.hit("someone", window=60)
    clock[0] += 60
    next_window = counters.hit("someone", window=60)

    assert [hit.count for hit in hits] == [1, 2, 3] and hits[0].resets_in == 50
    assert after_giving_back.count == 3
    assert next_window.count == 1
    assert counters.hit("someone-else", window=60).count == 1
