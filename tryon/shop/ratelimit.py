"""Anonymous shoppers get a budget of new renders per session and per address.

Fixed windows (TRYON_SHOP_WINDOW_SECONDS); only renders that cost GPU time count, so picks already rendered
still answer at once. Counted in the shared store (tryon/ratelimits), so every web process sees one count,
and spent before the render is asked for (then given back when it was free), so concurrent requests cannot
all pass a check before any of them counts. A merchant's staff are exempt in their own shop only.
"""

from django.conf import settings

from tryon.merchants.scoping import staff_of
from tryon.ratelimits import counters


def limit() -> int:
    return settings.TRYON_SHOP_RENDERS_PER_WINDOW


def window() -> int:
    return settings.TRYON_SHOP_WINDOW_SECONDS


def _keys(request) -> list[str]:
    keys = [f"shop-renders:address:{request.META.get('REMOTE_ADDR', '')}"]
    if request.session.session_key:
        keys.append(f"shop-renders:session:{request.session.session_key}")
    return keys


def exempt(request, merchant) -> bool:
    """The merchant's own staff (and operators) trying their shop; staff of another merchant are shoppers here."""
    return request.user.is_authenticated and staff_of(request.user, merchant)


def reserve(request, merchant) -> int:
    """Spend one new render: 0 when it is this shopper's to start, else seconds until the window turns
    (and nothing is spent)."""
    if exempt(request, merchant):
        return 0
    hits = [counters.hit(key, window=window()) for key in _keys(request)]
    if all(hit.count <= limit() for hit in hits):
        return 0
    give_back(request, merchant)
    return max(hit.resets_in for hit in hits)


def give_back(request, merchant) -> None:
    """A reserved render that was not needed (the picks were rendered already, or the request failed)."""
    if exempt(request, merchant):
        return
    for key in _keys(request):
        counters.take_back(key, window=window())
