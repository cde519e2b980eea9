"""The API's JSON parser: DRF's, bounded in depth and refusing text the database cannot hold.

The body's size is bounded before this runs (DATA_UPLOAD_MAX_MEMORY_SIZE; a larger body answers 413,
see tryon.api.errors). Depth is measured before decoding (400 parse_error); a NUL or a lone surrogate
in any string is a 400 validation_error naming the top-level field that holds it.
"""

from rest_framework import exceptions, parsers
from rest_framework.settings import api_settings

from tryon.json_input import MAX_JSON_DEPTH, UNSTORABLE_TEXT, loads_bounded, printable_key, unstorable_text_at

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(f"JSON parse error - the body is not valid {encoding} text.") from None
        try:
            data = loads_bounded(text, limit=MAX_JSON_DEPTH)
        except ValueError as error:  # too deep, NaN or Infinity (JsonInputError), or not JSON
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        if (path := unstorable_text_at(data)) is not None:
            field = printable_key(path[0]) if path and isinstance(data, dict) else NON_FIELD
            raise exceptions.ValidationError({field: [UNSTORABLE_TEXT]})
        return data
