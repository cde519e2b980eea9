"""Every photo a merchant's camera, editor or attacker can produce, uploaded through each admin form that takes
one: it is stored as the picture it shows (checked against a reference conversion in numpy), or refused with
a message by its field and nothing stored. Never a 500.
"""

import functools
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import StaffFactory
from tryon.catalog.models import FashionModel, Garment, Scene

pytestmark = pytest.mark.django_db

W, H = 320, 256  # small enough to be quick, large enough to be a photo (at least 256 on the shorter side)


# --- Building the files ---


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width, height, *, bit_depth, colour_type, rows, extra_chunks=()) -> bytes:
    """A PNG written by hand: any bit depth, and rows from a generator, so a bomb never sits in memory."""
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(b"\x00" + row) for row in rows) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + b"".join(extra_chunks)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def png_of(array: np.ndarray) -> bytes:
    """A PNG of a uint8 or uint16 array: H x W grey, H x W x 2 grey+alpha, x 3 RGB, x 4 RGBA."""
    channels = 1 if array.ndim == 2 else array.shape[2]
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    big_endian = array.astype(">u2" if array.dtype == np.uint16 else np.uint8)
    rows = (row.tobytes() for row in big_endian)
    bit_depth = 16 if array.dtype == np.uint16 else 8
    return png_bytes(array.shape[1], array.shape[0], bit_depth=bit_depth, colour_type=colour_type, rows=rows)


def blank_bilevel_png(width, height) -> bytes:
    """A 1-bit PNG: `width` x `height` pixels in a file of a few kilobytes."""
    row = bytes((width + 7) // 8)
    return png_bytes(width, height, bit_depth=1, colour_type=0, rows=(row for _ in range(height)))


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def ramp(width=W, height=H) -> tuple[np.ndarray, np.ndarray]:
    """0..1 across (x) and down (y): smooth, so JPEG storage keeps it within a grey level or two."""
    return np.meshgrid(np.linspace(0, 1, width), np.linspace(0, 1, height))


def on_white(rgb8: np.ndarray, alpha8: np.ndarray) -> np.ndarray:
    alpha = alpha8.astype(np.float64)[..., None] / 255
    return rgb8.astype(np.float64) * alpha + 255 * (1 - alpha)


def quadrants(width=384, height=256) -> np.ndarray:
    """Four colours, one per corner: any rotation or mirroring shows."""
    array = np.zeros((height, width, 3), np.uint8)
    array[: height // 2, : width // 2] = (200, 30, 40)
    array[: height // 2, width // 2 :] = (30, 160, 60)
    array[height // 2 :, : width // 2] = (40, 60, 190)
    array[height // 2 :, width // 2 :] = (230, 200, 40)
    return array


def with_orientation(array: np.ndarray, orientation: int, fmt: str) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return saved(Image.fromarray(array), fmt, exif=exif, **({"quality": 98} if fmt == "JPEG" else {}))


# How each EXIF orientation's stored pixels must be turned to be seen upright.
UPRIGHT = {3: lambda a: np.rot90(a, 2), 6: lambda a: np.rot90(a, -1), 8: lambda a: np.rot90(a, 1)}


# --- The corpus: each file, and the picture it must be stored as (None: refused, with this message) ---


@dataclass(frozen=True)
class Photo:
    make: Callable[[], bytes]
    expected: Callable[[], np.ndarray] | None = None  # the RGB picture it shows
    refused: str = ""  # or the message by its field


def _rgb48():
    x, y = ramp()
    return np.stack([x * 65535, y * 65535, np.full_like(x, 0x8040)], axis=-1).astype(np.uint16)


def _rgba64():
    x, y = ramp()
    return np.stack([x * 65535, y * 65535, np.full_like(x, 0x2010), (1 - x) * 65535], axis=-1).astype(np.uint16)


def _grey16():
    x, y = ramp()
    return ((x + y) / 2 * 65535).astype(np.uint16)


def _palette():
    indexes = np.zeros((H, W), np.uint8)
    indexes[:, W // 3 :] = 1
    indexes[:, 2 * W // 3 :] = 2
    image = Image.fromarray(indexes, "P")
    image.putpalette([0, 0, 0, 180, 40, 60, 20, 90, 170] + [0] * (253 * 3))
    return image


def _palette_expected():
    expected = np.full((H, W, 3), 255.0)  # index 0 is transparent: the white background shows
    expected[:, W // 3 :] = (180, 40, 60)
    expected[:, 2 * W // 3 :] = (20, 90, 170)
    return expected


def _grey_alpha():
    x, y = ramp()
    return np.stack([x * 255, y * 255], axis=-1).astype(np.uint8)


def _cmyk():
    x, y = ramp()
    return np.stack([x * 255, y * 200, np.full_like(x, 60), (1 - y) * 120], axis=-1).astype(np.uint8)


def _cmyk_expected():
    cmyk = _cmyk().astype(np.float64)
    return (255 - cmyk[..., :3]) * (255 - cmyk[..., 3:]) / 255


def _text_chunk_bomb():
    comment = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"a" * 5_000_000))  # 5 MB of text from 5 KB
    return png_bytes(W, H, bit_depth=8, colour_type=0, rows=(bytes(W) for _ in range(H)), extra_chunks=[comment])


CORPUS = {
    "decompression bomb": Photo(
        lambda: blank_bilevel_png(20_000, 20_000), refused="20000x20000 pixels; the limit is 40 megapixels"
    ),
    "180 megapixels": Photo(
        lambda: blank_bilevel_png(15_000, 12_000), refused="15000x12000 pixels; the limit is 40 megapixels"
    ),
    "90 megapixels": Photo(
        lambda: blank_bilevel_png(10_000, 9_000), refused="10000x9000 pixels; the limit is 40 megapixels"
    ),
    "text-chunk bomb": Photo(_text_chunk_bomb, refused="This is not an image we can read"),
    "8x8": Photo(
        lambda: saved(Image.new("RGB", (8, 8), "#a33"), "PNG"),
        refused="8x8 pixels; a photo needs at least 256 pixels on its shorter side",
    ),
    "2048x34": Photo(
        lambda: saved(Image.new("RGB", (2048, 34), "#a33"), "JPEG"),
        refused="2048x34 pixels; a photo needs at least 256 pixels on its shorter side",
    ),
    "banner 1200x256": Photo(
        lambda: saved(Image.new("RGB", (1200, 256), "#a33"), "JPEG"),
        refused="1200x256 pixels; a photo may be at most 4 times as long as it is wide",
    ),
    "16-bit RGB": Photo(lambda: png_of(_rgb48()), lambda: _rgb48() >> 8),
    "16-bit RGBA": Photo(lambda: png_of(_rgba64()), lambda: on_white(_rgba64()[..., :3] >> 8, _rgba64()[..., 3] >> 8)),
    "16-bit grey": Photo(lambda: png_of(_grey16()), lambda: np.repeat((_grey16() >> 8)[..., None], 3, axis=-1)),
    "16-bit flat grey": Photo(
        lambda: png_of(np.full((H, W), 0x8040, np.uint16)), lambda: np.full((H, W, 3), 0x80)
    ),  # was stored all white
    "palette with transparency": Photo(lambda: saved(_palette(), "PNG", transparency=0), _palette_expected),
    "grey with alpha (LA)": Photo(
        lambda: png_of(_grey_alpha()),
        lambda: on_white(np.repeat(_grey_alpha()[..., :1], 3, axis=-1), _grey_alpha()[..., 1]),
    ),
    "CMYK JPEG": Photo(lambda: saved(Image.fromarray(_cmyk(), "CMYK"), "JPEG", quality=100), _cmyk_expected),
    **{
        f"EXIF orientation {orientation} JPEG": Photo(
            functools.partial(with_orientation, quadrants(), orientation, "JPEG"),
            functools.partial(UPRIGHT[orientation], quadrants()),
        )
        for orientation in UPRIGHT
    },
    "EXIF orientation 6 PNG": Photo(
        functools.partial(with_orientation, quadrants(), 6, "PNG"), functools.partial(UPRIGHT[6], quadrants())
    ),
}


@functools.cache
def corpus_file(name: str) -> bytes:
    return CORPUS[name].make()


# --- Each admin form that takes a photo ---


@dataclass(frozen=True)
class UploadForm:
    url: str
    field: str
    fields: dict
    model: type


FORMS = {
    "garment": UploadForm("/admin/catalog/garment/add/", "image", {"name": "Linen shirt", "category": "top"}, Garment),
    "fashion model": UploadForm(
        "/admin/catalog/fashionmodel/add/",
        "reference_photo",
        {
            "name": "Amara",
            "gender_presentation": "feminine",
            "age_range": "25-34",
            "body_type": "athletic",
            "skin_tone": "tan",
        },
        FashionModel,
    ),
    "scene": UploadForm(
        "/admin/catalog/scene/add/", "picture", {"name": "Beach at dusk", "prompt": "sandy beach at dusk"}, Scene
    ),
}


def stored_files() -> list:
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def field_errors(response, field) -> str:
    return " ".join(response.context["adminform"].form.errors.get(field, []))


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def upload(client, form: UploadForm, name: str):
    photo = SimpleUploadedFile(f"{name}.png", corpus_file(name), content_type="application/octet-stream")
    return client.post(form.url, {**form.fields, form.field: photo})


def assert_refused(response, form: UploadForm, message: str):
    assert response.status_code == 200
    assert message in field_errors(response, form.field)
    assert not form.model.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("form_name", FORMS)
@pytest.mark.parametrize("name", CORPUS)
def test_every_photo_is_stored_as_it_shows_or_refused_by_its_field(client, staff, form_name, name):
    form, photo = FORMS[form_name], CORPUS[name]

    response = upload(client, form, name)  # the test client re-raises a server error: a 500 fails here

    if photo.expected is None:
        assert_refused(response, form, photo.refused)
        return
    assert response.status_code == 302, field_errors(response, form.field)
    with Image.open(getattr(form.model.objects.get(), form.field).path) as stored:
        assert (stored.format, stored.mode) == ("JPEG", "RGB")
        pixels = np.asarray(stored).astype(np.float64)
    expected = np.asarray(photo.expected(), np.float64)
    assert pixels.shape == expected.shape  # upright: the EXIF rotation applied, once
    assert np.abs(pixels - expected).mean() < 2.5, "not the picture the file shows"


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_where_warnings_are_errors_pillows_bomb_warning_is_refused_the_same_way(client, staff):
    assert_refused(upload(client, FORMS["garment"], "90 megapixels"), FORMS["garment"], CORPUS["90 megapixels"].refused)
