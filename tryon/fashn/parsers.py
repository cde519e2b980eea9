"""The body of /v1/run: two photos as data URIs make it large, so it has its own bound, checked before reading."""

from django.conf import settings
from rest_framework import parsers, status

from tryon.api.parsers import JSONParser
from tryon.fashn.errors import FashnError


class BoundedJSONParser(parsers.BaseParser):
    """The API's JSON parser (depth and storable text checked), for bodies up to TRYON_FASHN_MAX_BODY_BYTES.

    Not a subclass of DRF's JSONParser: DRF reads those through `request.body`, capped by Django's much lower
    DATA_UPLOAD_MAX_MEMORY_SIZE; this one reads the stream itself, bounded.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.TRYON_FASHN_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        if (length.isdigit() and int(length) > limit) or len(body := stream.read(limit + 1)) > limit:
            raise FashnError(
                "BadRequest",
                f"The request body is over the limit of {limit / 1024 / 1024:.1f} MB; send large photos as URLs.",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        return JSONParser().parse(_Bytes(body), media_type, parser_context)


class _Bytes:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *_args) -> bytes:
        return self.data
