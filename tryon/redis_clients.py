"""Redis connections and clients made once per process, not per thread or per call.

Three costs a burst of submissions paid for nothing:
- redis-py builds a client by copying its ~200 reply callbacks into a case-insensitive dict, about as much CPU
  as the command it then sends; Django's Redis cache and kombu's Redis transport both made one per call.
- Django makes a cache object per thread, and each opened its own connection pool: every new gunicorn thread
  opened new connections to Redis.
- redis-py reads its own version from the installed package's metadata (parsing it as e-mail headers) for every
  new connection, a few milliseconds each; the version cannot change while the process runs.

A client is only a view of its connection pool and safe to share between threads; redis-py's pools are safe to
share too, and start afresh in a forked child.
"""

import functools

from django.core.cache.backends import redis as django_redis
from kombu.transport import redis as kombu_redis
from redis import utils as redis_utils

redis_utils.get_lib_version = functools.cache(redis_utils.get_lib_version)

# Per server and pool options: connection pools by index, and a client for each.
_SHARED: dict[tuple[tuple, str], tuple[dict, dict]] = {}


class CacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        shared_key = (tuple(servers), repr(sorted(self._pool_options.items(), key=lambda item: item[0])))
        self._pools, self._clients = _SHARED.setdefault(shared_key, ({}, {}))

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)  # a read picks a replica at random: this one, for both
        if (client := self._clients.get(index)) is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(django_redis.RedisCache):
    """settings.CACHES' backend for Redis: Django's, with pools and clients shared by the process (CacheClient)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = CacheClient


class BrokerChannel(kombu_redis.Channel):
    def _create_client(self, asynchronous=False):
        if asynchronous:  # the consumer's own: kombu keeps it on the channel already
            return super()._create_client(asynchronous=True)
        if (client := self.__dict__.get("_shared_client")) is None:
            client = self._shared_client = super()._create_client()
        return client


class BrokerTransport(kombu_redis.Transport):
    """CELERY_BROKER_TRANSPORT for a redis:// broker: kombu's, with a client per channel (BrokerChannel)."""

    Channel = BrokerChannel
