"""Anonymous shoppers get a budget of new renders per session and per address, counted in Django's cache.

Fixed ten-minute windows; only renders that cost GPU time count, so picks already rendered still answer
at once. The cache is per process unless CACHES points at a shared one (Redis) in production.
"""

import time

from django.conf import settings
from django.core.cache import cache


def limit() -> int:
    return settings.TRYON_SHOP_RENDERS_PER_WINDOW


def window() -> int:
    return settings.TRYON_SHOP_WINDOW_SECONDS


def _keys(request) -> list[str]:
    bucket = int(time.time() // window())
    identities = [f"address:{request.META.get('REMOTE_ADDR', '')}"]
    if request.session.session_key:
        identities.append(f"session:{request.session.session_key}")
    return [f"shop-renders:{bucket}:{identity}" for identity in identities]


def exempt(request) -> bool:
    return request.user.is_authenticated and request.user.is_staff


def seconds_until_allowed(request) -> int:
    """0 while this shopper may start a new render, else how long until the window turns."""
    if exempt(request) or all(cache.get(key, 0) < limit() for key in _keys(request)):
        return 0
    return int(window() - time.time() % window()) + 1


def spend(request) -> None:
    if exempt(request):
        return
    for key in _keys(request):
        cache.add(key, 0, timeout=window())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window())
