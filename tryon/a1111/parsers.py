"""JSON bodies of up to TRYON_SDAPI_MAX_BODY_BYTES: base64 images make A1111 bodies larger than the rest of the API's.

The body is read from the stream (tryon.json_input.body_read_bounded), so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
(which guards `request.body`) does not apply, and this limit does; past it the answer is 413. Depth and
unstorable text are checked as tryon.api.parsers checks them.
"""

from django.conf import settings

from tryon.api.parsers import JSONParser
from tryon.json_input import body_read_bounded


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = body_read_bounded(stream, parser_context, limit=settings.TRYON_SDAPI_MAX_BODY_BYTES)
        return super().parse(body, media_type, parser_context)
