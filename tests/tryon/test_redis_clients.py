"""Redis connections are made once per process (tryon.redis_clients): every thread's cache shares one pool and
one client, a rate count is one round trip that still expires with its window, and render messages sent through
the broker transport's shared client reach their queue, one per job."""

import threading
import uuid
import warnings

import pytest
import redis
from celery.exceptions import AlwaysEagerIgnored
from django.core.cache import caches

from tests.services import REDIS
from tryon.celery import app
from tryon.ratelimits import counters
from tryon.redis_clients import BrokerTransport

pytestmark = pytest.mark.services
REDIS_URL = f"redis://{REDIS[0]}:{REDIS[1]}/13"


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "tryon.redis_clients.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    settings.TRYON_RATELIMIT_STORE = "cache"
    yield caches["default"]
    caches["default"].clear()


def test_every_thread_shares_one_connection_pool_and_one_client(redis_cache):
    seen = []

    def use_the_cache():
        cache = caches["default"]  # Django makes a cache object per thread
        cache.set("greeting", "hello")
        seen.append((cache, cache._cache.get_client(write=True), cache._cache._get_connection_pool(True)))

    threads = [threading.Thread(target=use_the_cache) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(cache) for cache, _, _ in seen}) == 4
    assert len({id(client) for _, client, _ in seen}) == 1
    assert len({id(pool) for _, _, pool in seen}) == 1
    assert redis_cache.get("greeting") == "hello"


def test_a_rate_count_counts_on_and_expires_with_its_window_in_one_round_trip(redis_cache, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("counted in two round trips (add, then incr), not one")

    monkeypatch.setattr(type(redis_cache), "add", refused)
    monkeypatch.setattr(type(redis_cache), "incr", refused)
    hits = [counters.hit("api:write:key-1", window=60).count for _ in range(3)]
    key = redis_cache.make_and_validate_key(counters._window_key("api:write:key-1", 60, counters._now())[0])
    ttl = redis.Redis.from_url(REDIS_URL).ttl(key)

    assert hits == [1, 2, 3]
    assert 0 < ttl <= 61
    monkeypatch.undo()
    counters.take_back("api:write:key-1", window=60)  # a reserved render that turned out free
    assert counters.hit("api:write:key-1", window=60).count == 3


def test_each_replica_keeps_its_own_client_on_its_own_pool(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "tryon.redis_clients.RedisCache",
            "LOCATION": [f"redis://{REDIS[0]}:{REDIS[1]}/{db}" for db in (13, 12, 11)],  # a primary, two replicas
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    client = caches["default"]._cache
    for _ in range(40):  # reads pick a replica at random
        client.get_client(write=False)
    client.get_client(write=True)

    assert sorted(client._clients) == [0, 1, 2]
    for index, shared in client._clients.items():
        assert shared.connection_pool is client._pools[index]
        assert shared.connection_pool.connection_kwargs["db"] == (13, 12, 11)[index]


def test_render_messages_through_the_shared_broker_client_reach_their_queue():
    queue = f"tryon-test-broker-{uuid.uuid4().hex[:8]}"
    broker = redis.Redis.from_url(f"redis://{REDIS[0]}:{REDIS[1]}/15")
    with app.connection_for_write(f"redis://{REDIS[0]}:{REDIS[1]}/15", transport=BrokerTransport) as connection:
        channel = connection.default_channel
        assert channel._create_client() is channel._create_client()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AlwaysEagerIgnored)  # sent for real, not run eagerly: the point here
            for job_id in (1, 2, 3):
                app.send_task("tryon.jobs.tasks.render_tryon_job", (job_id,), queue=queue, connection=connection)
    try:
        assert broker.llen(queue) == 3
    finally:
        broker.delete(queue)
