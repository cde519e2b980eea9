"""Fixed-window counters shared by every web process, counted atomically.

`hit(key, window=...)` adds one to the key's count in the current window and returns the count after it,
in one atomic step, so two processes (or twenty threads) can never both see "one left". The store is
TRYON_RATELIMIT_STORE: "cache" counts with Redis INCR (and EXPIRE for a new window, in one script);
"database" with `UPDATE ... SET count = count + 1` on a row per key and window (the embedded SQLite
default, or PostgreSQL without Redis). Windows are aligned to the clock, so each window's key is new and old
rows just expire.
"""

import contextlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import F

from tryon.ratelimits.models import RateCounter

PRUNE_ONE_IN = 50  # new windows that also delete expired rows
# Atomic in Redis, as one script is: a MULTI of SET NX EX and INCR costs the web three times the CPU to send
# and read back. Redis loads it once (EVALSHA after that).
_COUNT_IN_WINDOW = redis.commands.core.Script(
    None,
    b"""
    local count = redis.call('INCR', KEYS[1])
    if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
    return count
    """,  # bytes: no client to ask for an encoding; the server it runs on loads it when first asked
)


@dataclass(frozen=True)
class Hit:
    count: int  # hits in this window, this one included
    resets_in: int  # seconds until the window turns


def _now() -> float:
    return time.time()


def _window_key(key: str, window: int, now: float) -> tuple[str, int]:
    bucket = int(now // window)
    return f"rl:{key}:{window}:{bucket}", (bucket + 1) * window


def hit(key: str, *, window: int) -> Hit:
    now = _now()
    window_key, ends = _window_key(key, window, now)
    count = _cache_hit(window_key, window) if _store() == "cache" else _database_hit(window_key, ends)
    return Hit(count=count, resets_in=max(1, ends - int(now)))


def take_back(key: str, *, window: int) -> None:
    """Undo one hit in the current window (a reserved render that turned out free)."""
    window_key, _ends = _window_key(key, window, _now())
    if _store() == "cache":
        with contextlib.suppress(ValueError):  # the window turned meanwhile: nothing left to give back
            cache.decr(window_key)
    else:
        RateCounter.objects.filter(key=window_key, count__gt=0).update(count=F("count") - 1)


def _store() -> str:
    return settings.TRYON_RATELIMIT_STORE


def _cache_hit(window_key: str, window: int) -> int:
    backend = caches["default"]  # the backend itself: `cache` is a proxy, never an instance of one
    if isinstance(backend, RedisCache):  # one command: counted, and given its expiry if the window is new
        key = backend.make_and_validate_key(window_key)
        return _COUNT_IN_WINDOW(keys=[key], args=[window + 1], client=backend._cache.get_client(key, write=True))
    for _attempt in range(3):
        if cache.add(window_key, 1, timeout=window + 1):
            return 1
        try:
            return cache.incr(window_key)
        except ValueError:  # expired between add and incr: start the window again
            continue
    raise RuntimeError(f"Could not count {window_key} in the cache")


def _database_hit(window_key: str, ends: int) -> int:
    # One statement, one round trip: the row is created or counted on, and the count after it read back, in
    # the same atomic step (PostgreSQL and SQLite 3.35+ both speak INSERT ... ON CONFLICT ... RETURNING).
    table, key, count, expires = map(
        connection.ops.quote_name, (RateCounter._meta.db_table, "key", "count", "expires_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {count}, {expires}) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}",
            [window_key, datetime.fromtimestamp(ends, tz=UTC)],
        )
        hits = cursor.fetchone()[0]
    if hits == 1 and random.randrange(PRUNE_ONE_IN) == 0:  # a new window: now and then, drop expired ones
        RateCounter.objects.filter(expires_at__lt=datetime.fromtimestamp(_now(), tz=UTC)).delete()  # counters' clock
    return hits
