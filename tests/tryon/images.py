"""Photo files as a merchant's camera or editor would produce them."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def photo_upload(*, size=(384, 256), colour="#c0392b", mode="RGB", fmt="JPEG", exif_orientation=None, name=None):
    image = Image.new(mode, size, colour)
    buffer = io.BytesIO()
    options = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation  # Orientation
        options["exif"] = exif
    image.save(buffer, format=fmt, **options)
    return SimpleUploadedFile(name or f"photo.{fmt.lower()}", buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def raw_upload(content: bytes, name="photo.jpg"):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")
