"""API key format and hashing, pure: `tryon_sk_<prefix>_<secret>`.

The prefix finds the row; the secret is 256 random bits, so a salted HMAC-SHA256 is as safe as a slow
password hash would be, and cheap enough to check on every request.
"""

import hashlib
import hmac
import secrets
from typing import NamedTuple

KEY_START = "tryon_sk_"
PREFIX_BYTES = 6  # 12 hex digits: the public, searchable part
SECRET_BYTES = 32
HASH_SCHEME = "hmac-sha256"


class ParsedKey(NamedTuple):
    prefix: str
    secret: str


def key_generate() -> tuple[str, str]:
    """A new key and its prefix: (`tryon_sk_<prefix>_<secret>`, prefix)."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    return f"{KEY_START}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}", prefix


def key_parse(key: str) -> ParsedKey | None:
    """The prefix and secret of a well-formed key, else None. The secret may itself contain `_`."""
    if not key.startswith(KEY_START):
        return None
    prefix, _, secret = key.removeprefix(KEY_START).partition("_")
    if len(prefix) != 2 * PREFIX_BYTES or not secret or len(secret) > 100:
        return None
    return ParsedKey(prefix, secret)


def secret_hash(secret: str, *, salt: str | None = None) -> str:
    """`hmac-sha256$<salt>$<hex digest>`: the scheme is stored so it can change later."""
    salt = salt or secrets.token_hex(16)
    digest = hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()
    return f"{HASH_SCHEME}${salt}${digest}"


def secret_matches(secret: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt, _, _digest = rest.partition("$")
    if scheme != HASH_SCHEME or not salt:
        return False
    return hmac.compare_digest(secret_hash(secret, salt=salt), stored)
