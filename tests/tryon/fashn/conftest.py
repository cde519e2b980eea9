"""A storefront that already speaks FASHN: the official `fashn` SDK pointed at this server, and photos to send."""

import base64
import contextlib
import io
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.utils import timezone
from fashn import Fashn
from PIL import Image, ImageDraw

from tests.tryon.api.conftest import Storefront
from tests.tryon.garment_photos import striped_garment
from tryon.fashn.models import Prediction
from tryon.jobs.services import tryon_job_create


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(data: bytes, kind="png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def person_photo() -> Image.Image:
    """A person standing in a room, as a storefront's shopper uploads one: head, body, arms and legs."""
    photo = Image.new("RGB", (384, 576), (196, 206, 214))
    draw = ImageDraw.Draw(photo)
    skin = (198, 150, 120)
    draw.ellipse([167, 40, 217, 100], fill=skin)
    draw.rectangle([142, 110, 242, 300], fill=(235, 235, 230))
    draw.rectangle([112, 115, 137, 290], fill=skin)
    draw.rectangle([247, 115, 272, 290], fill=skin)
    draw.rectangle([147, 300, 187, 540], fill=(60, 60, 80))
    draw.rectangle([197, 300, 237, 540], fill=(60, 60, 80))
    return photo


@pytest.fixture
def garment_png() -> bytes:
    return png(striped_garment())


@pytest.fixture
def person_png() -> bytes:
    return png(person_photo())


@pytest.fixture(autouse=True)
def fresh_rate_limits(transactional_db):
    """Throttle counters live in the cache (a table here): each test starts with a full budget."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def storefront(transactional_db) -> Storefront:
    return Storefront()


@pytest.fixture
def other_storefront(transactional_db) -> Storefront:
    return Storefront(name="Someone else's storefront")


@pytest.fixture
def fashn(live_server, storefront) -> Fashn:
    """The SDK as a FASHN customer has it, with FASHN_BASE_URL pointed here. No retries: every answer counts."""
    return Fashn(api_key=storefront.key, base_url=live_server.url, max_retries=0, timeout=120)


class _Photos(BaseHTTPRequestHandler):
    def do_GET(self):
        status, headers, body = self.server.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the fetcher hung up once it had enough: that is the point
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class PhotoServer:
    """A web server on 127.0.0.1 serving photos (and things that are not photos) at the paths given."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Photos)
        self.server.routes = {}
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, path: str, body: bytes, content_type="image/png", status=200, **headers) -> str:
        self.server.routes[path] = (status, {"Content-Type": content_type, **headers}, body)
        return self.base + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def photo_server():
    server = PhotoServer()
    yield server
    server.close()


def queued_prediction(storefront, **fields) -> str:
    """A prediction whose try-on waits in the queue (nothing renders it): for stories about who may see it."""
    job = tryon_job_create(**storefront.shop, enqueue=False)
    fields = {"expires_at": timezone.now() + timedelta(days=1), **fields}
    prediction = Prediction.objects.create(merchant=storefront.merchant, job=job, model_name="tryon-v1.6", **fields)
    return str(prediction.id)
