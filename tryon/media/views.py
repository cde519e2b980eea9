"""Serves a stored file to whoever holds a valid signed link, and to nobody else."""

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from tryon.media.signing import verify


@require_safe
def serve(request, name: str):
    verdict = verify(name, request.GET.get("expires"), request.GET.get("signature"))
    if not verdict.ok:
        return HttpResponseForbidden(f"This link is {'expired' if verdict.reason == 'expired' else 'not valid'}.")
    if not isinstance(default_storage, FileSystemStorage):
        raise Http404("Files are served by the bucket")  # signed_url gives S3 links there
    try:
        path = default_storage.path(name)
    except SuspiciousFileOperation:
        raise Http404("No such file") from None
    if not default_storage.exists(name):
        raise Http404("No such file")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.TRYON_MEDIA_ACCEL == "nginx":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.TRYON_MEDIA_ACCEL_LOCATION + quote(name)
    elif settings.TRYON_MEDIA_ACCEL == "sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = path
    else:
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 (closed by the response)
    # Anyone holding the link may see the file until it expires, but shared caches keep no copy.
    patch_cache_control(response, private=True, max_age=verdict.seconds_left)
    response["X-Robots-Tag"] = "noindex"
    return response
