"""Product photos as a merchant shoots them: a patterned garment laid flat on a plain white background."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

NAVY, RED = (31, 58, 95), (200, 40, 50)
# A tee laid flat, as fractions of the photo: shoulders, sleeves out and down, body to the hem.
TEE = [(0.32, 0.1), (0.44, 0.08), (0.5, 0.14), (0.56, 0.08), (0.68, 0.1), (0.92, 0.3), (0.8, 0.42), (0.72, 0.34),
       (0.72, 0.9), (0.28, 0.9), (0.28, 0.34), (0.2, 0.42), (0.08, 0.3)]  # fmt: skip
TROUSERS = [(0.3, 0.06), (0.7, 0.06), (0.76, 0.94), (0.56, 0.94), (0.5, 0.36), (0.44, 0.94), (0.24, 0.94)]


def striped_garment(shape=TEE, *, size=(360, 420), colours=(NAVY, RED), stripe=18) -> Image.Image:
    """The garment's outline filled with horizontal stripes of `colours`, on white."""
    width, height = size
    stripes = Image.new("RGB", size)
    draw = ImageDraw.Draw(stripes)
    for index, top in enumerate(range(0, height, stripe)):
        draw.rectangle([0, top, width, top + stripe - 1], fill=colours[index % len(colours)])
    outline = Image.new("L", size, 0)
    ImageDraw.Draw(outline).polygon([(x * width, y * height) for x, y in shape], fill=255)
    photo = Image.new("RGB", size, "white")
    photo.paste(stripes, mask=outline)
    return photo


def upload(image: Image.Image, name="garment.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
