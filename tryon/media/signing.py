"""Signed, expiring links to stored files: the only way an image URL is made.

On the local file system a link is `/files/<name>?expires=<unix time>&signature=<hmac>`: the signature
covers the name and the expiry, so a job id or a file name cannot be walked to someone else's image and a
link stops working when it expires. Expiries are rounded up to a step of the lifetime, so a page shows the
same link for a while and browsers can cache the picture. On S3 the bucket's own presigned URL is used
(django-storages' querystring auth), with the same lifetime.
"""

import functools
import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from tryon.reversing import reverse_context

SALT = "tryon.media.link"
S3_MAX_SECONDS = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live


def _now() -> float:
    return time.time()


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def _signature(name: str, expires: int, key=None) -> str:
    return _signer().signature(f"{name}\n{expires}", key=key)


def _expiry(ttl: int, now: float) -> int:
    """now + ttl, rounded up to a step (a tenth of the lifetime, at most an hour) so links stay stable."""
    step = max(1, min(ttl // 10, 3600))
    return math.ceil((now + ttl) / step) * step


def _name_of(file_or_name) -> str:
    return file_or_name if isinstance(file_or_name, str) else file_or_name.name


def signed_url(file_or_name, *, ttl: int | None = None) -> str:
    """A link to a stored file that works for `ttl` seconds (TRYON_MEDIA_URL_SECONDS by default).

    An absolute path on the local file system (the API makes it absolute with the request's host), a full
    URL on S3. Takes a FieldFile (`image.file`) or a storage name; an empty file gives "".
    """
    name = _name_of(file_or_name) if file_or_name else ""
    if not name:
        return ""
    ttl = ttl or settings.TRYON_MEDIA_URL_SECONDS
    storage = getattr(file_or_name, "storage", default_storage)
    if not isinstance(storage, FileSystemStorage):
        return storage.url(name, expire=min(ttl, S3_MAX_SECONDS)) if _takes_expiry(storage) else storage.url(name)
    return _file_link(name, _expiry(ttl, _now()), *reverse_context(), settings.SECRET_KEY)


# A link stays the same until its expiry steps on (_expiry), and an answer or a page asks for the same few again
# (a shopper's draft, a catalog's images): each is signed and reversed once. The signing key, the script prefix
# and the URL conf are part of the key, as they are of the link.
@functools.lru_cache(maxsize=4096)
def _file_link(name: str, expires: int, script_prefix: str, urlconf, secret_key: str) -> str:
    query = urlencode({"expires": expires, "signature": _signature(name, expires)})
    return f"{reverse('media:file', args=[name])}?{query}"


def _takes_expiry(storage) -> bool:
    return hasattr(storage, "bucket_name")  # django-storages' S3Storage.url(name, parameters, expire)


def catalog_image_url(image, *, merchant) -> str:
    """A render on a catalog page: long-lived when approved and the merchant publishes its catalog images."""
    public = image.approved and merchant.public_catalog_images
    return signed_url(image.file, ttl=settings.TRYON_MEDIA_PUBLIC_URL_SECONDS if public else None)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    seconds_left: int = 0
    reason: str = ""


def verify(name: str, expires: str | None, signature: str | None) -> Verdict:
    """Whether a link's signature matches its name and expiry, and the expiry is still ahead."""
    if not expires or not signature or not expires.isdigit():
        return Verdict(False, reason="unsigned")
    signer = _signer()
    if not any(
        constant_time_compare(signature, _signature(name, int(expires), key))
        for key in [signer.key, *signer.fallback_keys]
    ):
        return Verdict(False, reason="bad signature")
    seconds_left = int(expires) - int(_now())
    if seconds_left <= 0:
        return Verdict(False, reason="expired")
    return Verdict(True, seconds_left=seconds_left)
