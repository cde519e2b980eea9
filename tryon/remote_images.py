"""Images a client names rather than uploads: an http(s) URL the server fetches, or a data URI.

Fetching a URL is a request from inside our network on a stranger's behalf, so it is bounded:
- only public addresses: every address the host resolves to is checked, again at each redirect hop, and
  loopback, private, link-local and other non-global ones are refused unless TRYON_REMOTE_IMAGE_ALLOW lists
  their network (tests on 127.0.0.1, an intranet CDN);
- at most TRYON_REMOTE_IMAGE_MAX_BYTES, TRYON_REMOTE_IMAGE_MAX_REDIRECTS redirects and
  TRYON_REMOTE_IMAGE_TIMEOUT seconds in all; the answer must say it is an image (Content-Type image/*).
The name is resolved once, within the timeout, and the connection goes to the address that was checked
(pinned_request), so a name that answers differently the second time (DNS rebinding) gains nothing; the Host
header, TLS SNI and the certificate check still use the name. Webhooks use the same (tryon.webhooks.services).

Every failure is an ImageInputError, a ValidationError on the field the client named, saying what to fix.
"""

import base64
import binascii
import io
import ipaddress
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError
from requests.adapters import HTTPAdapter

CHUNK = 16 * 1024  # small reads, so a server that drips bytes meets the overall deadline soon after it passes
USER_AGENT = "Tryon-ImageFetch/1"
_DATA_URI = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?:;[\w.+-]+=[\w.+-]+)*;base64,", re.IGNORECASE)
EXPECTED = "Expected an https:// URL or a data URI such as data:image/jpeg;base64,<base64>."


class ImageInputError(ValidationError):
    """An image input that cannot be used, by the field that holds it. `refused`: the server would not fetch
    it (an address or size rule), rather than could not load it."""

    def __init__(self, field: str, message: str, *, refused: bool = False):
        super().__init__({field: message})
        self.field, self.reason, self.refused = field, message, refused


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def allowed_networks() -> list:
    """TRYON_REMOTE_IMAGE_ALLOW as networks (read at each call: tests change it)."""
    return [ipaddress.ip_network(network.strip(), strict=False) for network in settings.TRYON_REMOTE_IMAGE_ALLOW]


# getaddrinfo takes no timeout; a lookup runs here so the caller can stop waiting. A hung lookup keeps its
# thread until the resolver gives up, so the pool is bounded and later lookups queue (and time out) behind it.
_RESOLVER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tryon-dns")
# IPv6 prefixes that carry an IPv4 address in their low 32 bits and reach it through a translator
# (NAT64, RFC 6052 and RFC 8215): Python calls them global whatever the IPv4 address is.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # ::a.b.c.d, deprecated but still routed by some stacks


class AddressRefused(Exception):
    """The host resolves to an address this server will not call; the message says which and why."""


def _embedded_ipv4(address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches (mapped, 6to4, NAT64, IPv4-compatible), or None."""
    if address.version != 6:
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if any(address in network for network in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address) -> str:
    names = ("loopback", "private", "link_local", "multicast", "reserved")
    return next((name for name in names if getattr(address, f"is_{name}")), "non-public").replace("_", "-")


def _resolve(host: str, port: int, timeout: float) -> list:
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, proto=socket.IPPROTO_TCP)
    try:
        return future.result(timeout=max(timeout, 0.01))
    except FutureTimeout:
        future.cancel()
        raise TimeoutError(f"Looking up {host} took longer than {timeout:g} seconds.") from None


def public_address(host: str, port: int, *, allowed=(), timeout: float) -> str:
    """The address to connect to for `host`: resolved once, within `timeout` seconds, every address checked.

    Raises AddressRefused when any address is not public and not in `allowed` (an IPv6 address that embeds an
    IPv4 one is judged by that), TimeoutError when the lookup is too slow, OSError when the name does not resolve.
    """
    addresses = []
    for *_, sockaddr in _resolve(host, port, timeout):
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])  # an IPv6 zone (fe80::1%eth0) is no part of it
        addresses.append(address)
        # One that embeds an IPv4 address reaches that address through a translator: it is judged by it. Its IPv6
        # prefix says nothing more, and older Pythons (Debian's 3.11.2) call all of 6to4 (2002::/16) private.
        judged = _embedded_ipv4(address) or address
        if not judged.is_global and not any(judged in network for network in allowed):
            refusal = f"{host} resolves to {address}, a {_kind(judged)} address: not a public address"
            raise AddressRefused(f"{refusal}, so this server will not call it.")
    if not addresses:
        raise socket.gaierror(f"{host} resolves to no address.")
    return str(addresses[0])


def address_refusal(host: str, port: int, *, allowed=(), timeout: float = 5) -> str | None:
    """Why `host` may not be called, or None. Raises OSError when the name does not resolve (in time)."""
    try:
        public_address(host, port, allowed=allowed, timeout=timeout)
    except AddressRefused as refused:
        return str(refused)
    return None


class _PinnedAdapter(HTTPAdapter):
    """Connects to one checked address whatever the URL's name resolves to now. The URL keeps the name for
    the Host header; TLS sends it as SNI and matches the certificate against it."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(max_retries=0)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        host = parts.hostname
        netloc = f"[{self.address}]" if ":" in self.address else self.address
        if parts.port:
            netloc += f":{parts.port}"
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        request.url = parts._replace(netloc=netloc).geturl()
        if parts.scheme == "https":
            self.poolmanager.connection_pool_kw.update(server_hostname=host, assert_hostname=host)
        return super().send(request, **kwargs)


def pinned_request(method: str, url: str, *, address: str, **kwargs) -> requests.Response:
    """requests.request, connected to `address` (from public_address) rather than to a fresh lookup."""
    session = requests.Session()  # not closed here: a streamed answer still reads from its connection
    session.trust_env = False  # a proxy from the environment would resolve the name itself
    session.mount("http://", _PinnedAdapter(address))
    session.mount("https://", _PinnedAdapter(address))
    return session.request(method, url, **kwargs)


def _check_url(url: str, field: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ImageInputError(field, f"{url[:100]!r} is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImageInputError(field, EXPECTED)
    if parts.username or parts.password:
        raise ImageInputError(field, "Image URLs may not carry a user name or password.", refused=True)
    return parts.hostname, port


def _check_destination(url: str, field: str, *, timeout: float, too_slow: str) -> str:
    """The checked address to connect to for `url`."""
    host, port = _check_url(url, field)
    try:
        return public_address(host, port, allowed=allowed_networks(), timeout=timeout)
    except AddressRefused as refused:
        raise ImageInputError(field, str(refused), refused=True) from None
    except TimeoutError:
        raise ImageInputError(field, too_slow) from None
    except OSError:
        raise ImageInputError(field, f"The host {host} of the image URL does not resolve.") from None


def image_bytes_fetch(url: str, *, field: str) -> bytes:
    """The body of an image URL, within the limits above (every redirect hop checked like the first)."""
    max_bytes = settings.TRYON_REMOTE_IMAGE_MAX_BYTES
    seconds = settings.TRYON_REMOTE_IMAGE_TIMEOUT
    deadline = time.monotonic() + seconds
    too_slow = f"The image URL did not deliver the image within {seconds} seconds."
    for _hop in range(settings.TRYON_REMOTE_IMAGE_MAX_REDIRECTS + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ImageInputError(field, too_slow)
        address = _check_destination(url, field, timeout=left, too_slow=too_slow)
        left = deadline - time.monotonic()
        if left <= 0:
            raise ImageInputError(field, too_slow)
        try:
            response = pinned_request(
                "GET",
                url,
                address=address,
                stream=True,
                allow_redirects=False,  # followed here, each hop checked
                timeout=(min(left, 5), left),
                headers={"User-Agent": USER_AGENT, "Accept": "image/*"},
            )
        except requests.Timeout:
            raise ImageInputError(field, too_slow) from None
        except (requests.RequestException, OSError) as error:
            raise ImageInputError(field, f"The image could not be fetched ({type(error).__name__}).") from None
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code != 200:
                raise ImageInputError(field, f"The image URL answered HTTP {response.status_code}, not 200.")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not content_type.startswith("image/"):
                raise ImageInputError(
                    field, f"The image URL answered {content_type or 'with no Content-Type'}, not an image/* type."
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                too_big = f"The image is {_megabytes(int(declared))}; the limit is {_megabytes(max_bytes)}."
                raise ImageInputError(field, too_big, refused=True)
            data = bytearray()
            try:
                for chunk in response.iter_content(CHUNK):
                    data += chunk
                    if len(data) > max_bytes:
                        too_big = f"The image is larger than the limit of {_megabytes(max_bytes)}."
                        raise ImageInputError(field, too_big, refused=True)
                    if time.monotonic() > deadline:
                        raise ImageInputError(field, too_slow)
            except (requests.RequestException, OSError) as error:
                raise ImageInputError(field, f"The image download broke off ({type(error).__name__}).") from None
            if not data:
                raise ImageInputError(field, "The image URL answered with an empty body.")
            return bytes(data)
    raise ImageInputError(
        field, f"The image URL redirected more than {settings.TRYON_REMOTE_IMAGE_MAX_REDIRECTS} times."
    )


def image_bytes_from_data_uri(value: str, *, field: str, prefix_required: bool = True) -> bytes:
    """The bytes in a `data:image/...;base64,` URI (or bare base64 where `prefix_required` is False)."""
    text = value.strip()
    match = _DATA_URI.match(text)
    if match is None and prefix_required:
        raise ImageInputError(field, EXPECTED)
    if match is not None:
        if not (match["type"] or "image/").lower().startswith("image/"):
            raise ImageInputError(field, f"The data URI holds {match['type']}, not an image.")
        text = text[match.end() :]
    max_bytes = settings.TRYON_UPLOAD_MAX_BYTES
    if len(text) * 3 // 4 > max_bytes:
        raise ImageInputError(field, f"The image is larger than the limit of {_megabytes(max_bytes)}.", refused=True)
    try:
        data = base64.b64decode("".join(text.split()), validate=True)  # line breaks are allowed, nothing else
    except (binascii.Error, ValueError):
        raise ImageInputError(field, "The data URI's base64 cannot be decoded.") from None
    if not data:
        raise ImageInputError(field, "The data URI holds no bytes.")
    return data


def image_bytes_from_input(value, *, field: str) -> bytes:
    """An image given as a URL or as a data URI, as bytes (not yet decoded: the upload rules judge them)."""
    if not isinstance(value, str) or not value.strip():
        raise ImageInputError(field, EXPECTED)
    if value.lstrip()[:5].lower() == "data:":
        return image_bytes_from_data_uri(value, field=field)
    return image_bytes_fetch(value.strip(), field=field)


def image_decode(data: bytes, *, field: str) -> Image.Image:
    """Bytes as a loaded, upright picture, refused past TRYON_UPLOAD_MAX_PIXELS before decoding."""
    try:
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageInputError(field, "The image has too many pixels.", refused=True) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageInputError(field, "This is not an image we can read. Send a JPEG, PNG or WebP photo.") from None
    width, height = image.size
    if width * height > settings.TRYON_UPLOAD_MAX_PIXELS:
        limit = settings.TRYON_UPLOAD_MAX_PIXELS / 1e6
        raise ImageInputError(field, f"The image is {width}x{height} pixels; the limit is {limit:g} megapixels.")
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageInputError(field, "The image is damaged or truncated and cannot be decoded.") from None


def image_fetch(url: str, *, field: str) -> Image.Image:
    return image_decode(image_bytes_fetch(url, field=field), field=field)


def image_from_data_uri(value: str, *, field: str, prefix_required: bool = True) -> Image.Image:
    return image_decode(image_bytes_from_data_uri(value, field=field, prefix_required=prefix_required), field=field)
