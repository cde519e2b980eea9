"""Image URLs a client names are fetched from inside our network: the address checked is the one called, IPv6
spellings of private IPv4 addresses are refused, and a slow DNS answer counts against the timeout."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.tryon.images import photo_upload
from tryon.remote_images import ImageInputError, address_refusal, image_bytes_fetch

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def photo_host():
    """A server on 127.0.0.1 that serves a PNG and remembers the Host header of each request."""
    seen, body = [], photo_upload(fmt="PNG").read()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen, body
    server.shutdown()


def fake_dns(monkeypatch, answers: dict):
    """Names in `answers` resolve to the next address in their list (the last one repeats); others as usual."""
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        lookups.append(host)
        address = answers[host][min(len(lookups), len(answers[host])) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_a_name_that_answers_differently_the_second_time_is_called_at_the_address_checked(
    photo_host, monkeypatch, settings
):
    settings.TRYON_REMOTE_IMAGE_ALLOW = ["127.0.0.1/32"]  # the intranet CDN of this story
    port, seen, body = photo_host
    # First 127.0.0.1 (allowed), then an address nothing listens on: a second lookup would fail the fetch.
    lookups = fake_dns(monkeypatch, {"cdn.shop.test": ["127.0.0.1", "127.0.0.2"]})

    assert image_bytes_fetch(f"http://cdn.shop.test:{port}/me.png", field="image") == body
    assert lookups == ["cdn.shop.test"]  # looked up once
    assert seen == [f"cdn.shop.test:{port}"]  # the server still sees the name


@pytest.mark.parametrize(
    "address, reaches",
    [
        ("64:ff9b::a00:1", "10.0.0.1"),  # NAT64
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64 to the cloud metadata service
        ("2002:7f00:1::1", "127.0.0.1"),  # 6to4
        ("2002:c0a8:101::1", "192.168.1.1"),  # 6to4
        ("::7f00:1", "127.0.0.1"),  # IPv4-compatible
        ("::ffff:10.1.2.3", "10.1.2.3"),  # IPv4-mapped
    ],
)
def test_an_ipv6_spelling_of_a_private_ipv4_address_is_refused(monkeypatch, address, reaches):
    fake_dns(monkeypatch, {"sneaky.test": [address]})

    refusal = address_refusal("sneaky.test", 443)

    assert refusal and "not a public address" in refusal


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111", "8.8.8.8"])
def test_an_ipv6_address_that_reaches_a_public_ipv4_one_is_allowed(monkeypatch, address):
    fake_dns(monkeypatch, {"cdn.test": [address]})

    assert address_refusal("cdn.test", 443) is None


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    assert "10.0.0.5, a private address" in address_refusal("mixed.test", 443)


def test_a_dns_lookup_that_hangs_is_cut_off_by_the_image_timeout(monkeypatch, settings):
    settings.TRYON_REMOTE_IMAGE_TIMEOUT = 0.5

    def slow_getaddrinfo(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)
    started = time.monotonic()

    with pytest.raises(ImageInputError) as refused:
        image_bytes_fetch("https://slow-dns.test/me.png", field="model_image")

    assert time.monotonic() - started < 1.5
    assert refused.value.field == "model_image" and "within 0.5 seconds" in refused.value.reason
