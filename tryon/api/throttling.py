"""Per-key rate limits: each storefront key (or staff member) has its own budget per scope.

Counted in the shared store (tryon/ratelimits), so every gunicorn process spends the same budget; fixed
windows aligned to the clock (a client may spend up to two budgets across a window's edge).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from tryon.api.models import StorefrontKey
from tryon.ratelimits import counters

SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_rate(rate: str) -> tuple[int, int]:
    """A rate as DRF reads it, the period's first letter counting: "60/min" is (60, 60)."""
    count, _, period = rate.partition("/")
    return int(count), SECONDS[period[0]]


class StorefrontKeyThrottle(BaseThrottle):
    """The view's `throttle_scope` ("read" or "write") names a rate in DEFAULT_THROTTLE_RATES."""

    def __init__(self):
        self.retry_after = None

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        ident = self._ident(request)
        if not scope or ident is None:
            return True
        # Read at request time, not import time, so a changed setting applies at once.
        allowed, window = _parse_rate(api_settings.DEFAULT_THROTTLE_RATES[scope])
        hit = counters.hit(f"api:{scope}:{ident}", window=window)
        if hit.count > allowed:
            self.retry_after = hit.resets_in
            return False
        return True

    def wait(self):
        return self.retry_after

    @staticmethod
    def _ident(request) -> str | None:
        if isinstance(request.auth, StorefrontKey):
            return f"key-{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return None
