"""The body of /v1/run: two photos as data URIs make it large, so it has its own bound, checked before reading."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers, status

from tryon.api.parsers import JSONParser
from tryon.fashn.errors import FashnError
from tryon.json_input import body_read_bounded


class BoundedJSONParser(parsers.BaseParser):
    """The API's JSON parser (depth and storable text checked), for bodies up to TRYON_FASHN_MAX_BODY_BYTES.

    Not a subclass of DRF's JSONParser: DRF reads those through `request.body`, capped by Django's much lower
    DATA_UPLOAD_MAX_MEMORY_SIZE; this one reads the stream itself, bounded (the same read as tryon.a1111's).
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.TRYON_FASHN_MAX_BODY_BYTES
        try:
            body = body_read_bounded(stream, parser_context, limit=limit)
        except RequestDataTooBig:  # in FASHN's own error shape, not Django's
            raise FashnError(
                "BadRequest",
                f"The request body is over the limit of {limit / 1024 / 1024:.1f} MB; send large photos as URLs.",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            ) from None
        return JSONParser().parse(body, media_type, parser_context)
