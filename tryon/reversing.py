"""What reverse() depends on besides its arguments, for caches of reversed URLs."""

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf


def reverse_context() -> tuple[str, str]:
    """This thread's script prefix (SCRIPT_NAME) and URL conf (a request's own, else the site's): a URL reversed
    once may be reused wherever both are the same."""
    return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
