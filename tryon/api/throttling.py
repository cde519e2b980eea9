"""Per-key rate limits: each storefront key (or staff member) has its own budget per scope."""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from tryon.api.models import StorefrontKey


class StorefrontKeyThrottle(ScopedRateThrottle):
    """The view's `throttle_scope` ("read" or "write") names a rate in DEFAULT_THROTTLE_RATES."""

    def get_rate(self):
        # Read at request time, not import time, so a changed setting applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        if isinstance(request.auth, StorefrontKey):
            ident = f"key-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
