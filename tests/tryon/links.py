"""Signed media links in assertions: their expiry and signature change with the clock, their file does not."""

import re
from urllib.parse import parse_qs, unquote, urlsplit

from django.urls import reverse

from tryon.media.signing import verify


def link_path(file) -> str:
    """The path of every signed link to `file` (a FieldFile or a storage name), before its query."""
    return reverse("media:file", args=[getattr(file, "name", file)])


class SignedLink:
    """Equal to a URL that is a valid, unexpired signed link to `file`, e.g. in a JSON body."""

    def __init__(self, file, host: str = ""):
        self.prefix = host + link_path(file)

    def __eq__(self, url):
        if not isinstance(url, str):
            return NotImplemented
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        name = unquote(parts.path.removeprefix(reverse("media:file", args=["x"])[:-1]))
        return (
            url.split("?")[0] == self.prefix
            and verify(name, query.get("expires", [""])[0], query.get("signature", [""])[0]).ok
        )

    def __repr__(self):
        return f"<signed link to {self.prefix}>"


def SignedLinkPattern(file):
    """A regular expression for Playwright's to_have_attribute: a signed link to `file`, any expiry."""
    return re.compile(re.escape(link_path(file)) + r"\?expires=\d+&signature=")
