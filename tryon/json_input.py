"""JSON and text from outside, bounded to what the parsers can walk and the database can hold.

`json.loads` recurses once per level of nesting, so a body of 100,000 "[" ends in a RecursionError (a
500) unless the depth is measured first, without recursion. PostgreSQL refuses NUL in text and jsonb,
and a lone UTF-16 surrogate (a JSON "\\ud800" escape) cannot be encoded at all: both are refused here,
before anything is stored, with the field to blame.
"""

import io
import json
import re

from django import forms
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import models

MAX_JSON_DEPTH = 32  # a try-on body is 2 levels deep, pose keypoints 2: generous, and far from recursion
UNSTORABLE_TEXT = "Text may not contain NUL characters or unpaired surrogates (\\u0000, \\ud800 to \\udfff)."

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # a JSON string literal, unrolled: no backtracking
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JsonInputError(ValueError):
    pass


def body_read_bounded(stream, parser_context: dict | None, *, limit: int) -> io.BytesIO:
    """A request body of at most `limit` bytes, read from the stream (not `request.body`, which Django caps at
    DATA_UPLOAD_MAX_MEMORY_SIZE), as a stream for a parser; RequestDataTooBig past it, refused by its declared
    length before any byte is read. For the APIs whose bodies carry base64 images (A1111, FASHN)."""
    request = (parser_context or {}).get("request")
    length = str(request.META.get("CONTENT_LENGTH") or "") if request is not None else ""
    if (length.isdigit() and int(length) > limit) or len(data := stream.read(limit + 1)) > limit:
        raise RequestDataTooBig()
    return io.BytesIO(data)


def nesting_depth_over(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` opens more than `limit` arrays or objects inside each other, brackets in strings aside."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if len(brackets) <= limit:
        return False
    depth = 0
    for bracket in brackets:
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def _refuse_constant(name: str):
    raise JsonInputError(f"{name} is not a JSON number.")


def loads_bounded(text: str, *, limit: int = MAX_JSON_DEPTH, decoder=None):
    """json.loads for untrusted text: JsonInputError for nesting over `limit` or NaN/Infinity (which jsonb refuses)."""
    if nesting_depth_over(text, limit):
        raise JsonInputError(f"JSON nested more than {limit} levels deep.")
    return json.loads(text, cls=decoder, parse_constant=_refuse_constant)


def unstorable_text_at(value) -> list | None:
    """The path (keys and indexes) to the first string, or object key, the database cannot hold; None if all can.

    Walks with a list, not recursion; call it on parsed JSON (depth already bounded) or any dict/list of text.
    """
    pending = [((), value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return list(path)
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    return [*path, key]
                pending.append(((*path, key), child))
        elif isinstance(item, list | tuple):
            pending.extend(((*path, index), child) for index, child in enumerate(item))
    return None


def printable_key(key) -> str:
    """A key as an error may name it: NUL and surrogates escaped (\\u0000), so the error can be stored and shown."""
    return _UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", str(key))


class BoundedJSONFormField(forms.JSONField):
    """A form's JSON field that answers a field error, never a 500, for what `loads_bounded` refuses and for
    text the database cannot hold. The admin uses it for every model JSONField (JSON_FORMFIELD_OVERRIDES)."""

    def to_python(self, value):
        if self.disabled or not isinstance(value, str) or value in self.empty_values:
            return super().to_python(value)
        try:
            converted = loads_bounded(value, decoder=self.decoder)
        except JsonInputError as error:
            raise ValidationError(str(error), code="invalid") from None
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value}) from None
        if unstorable_text_at(converted) is not None:
            raise ValidationError(UNSTORABLE_TEXT, code="unstorable")
        return forms.fields.JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        """What a re-shown form holds: the text as typed when it is too deep to decode (Django's decodes it
        unbounded) or holds a lone surrogate (re-encoded into the page, it would fail the whole response)."""
        if isinstance(data, str) and nesting_depth_over(data):
            return forms.fields.InvalidJSONInput(data)
        bound = super().bound_data(data, initial)
        if not isinstance(bound, forms.fields.InvalidJSONInput) and unstorable_text_at(bound) is not None:
            return forms.fields.InvalidJSONInput(data)
        return bound


JSON_FORMFIELD_OVERRIDES = {models.JSONField: {"form_class": BoundedJSONFormField}}
