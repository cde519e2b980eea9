"""A demo shop: a merchant, a staff login, garments drawn here (no downloads), fashion models, poses, scenes.

Idempotent: running it again adds nothing and changes nothing that exists.
"""

import io
import secrets
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageDraw

from prompts.poses import POSE_LIBRARY
from tryon.catalog import services
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.merchants.models import Merchant, User

DEMO_SLUG = "demo"

# Attributes beyond the basics, by garment name.
GARMENT_DETAILS = {
    "Linen shirt": dict(
        fit="relaxed", sleeve_length="long", length="hip", pattern="solid", keywords="breathable, summer"
    ),
    "Navy chinos": dict(fit="slim", length="ankle", pattern="solid"),
    "Red midi dress": dict(fit="regular", length="midi", sleeve_length="sleeveless", pattern="solid"),
    "Camel trench coat": dict(fit="tailored", length="knee", sleeve_length="long", keywords="water-repellent"),
}
SCENE_DETAILS = {
    "Studio white": dict(lighting="softbox"),
    "City street": dict(location="a cobbled street in lisbon", lighting="golden hour", time_of_day="sunset"),
    "Beach": dict(location="a sandy beach", lighting="natural daylight", time_of_day="sunset"),
    "Loft": dict(location="an industrial loft", lighting="window light", time_of_day="morning"),
}

# (name, category, colour, material, description, outline as polygon in a 0..1 box)
GARMENTS = [
    (
        "Linen shirt",
        "top",
        "#f2efe6",
        "linen",
        "Relaxed-fit long-sleeve shirt with a camp collar.",
        [
            (0.3, 0.1),
            (0.45, 0.08),
            (0.55, 0.08),
            (0.7, 0.1),
            (0.95, 0.45),
            (0.85, 0.5),
            (0.72, 0.3),
            (0.72, 0.9),
            (0.28, 0.9),
            (0.28, 0.3),
            (0.15, 0.5),
            (0.05, 0.45),
        ],
    ),
    (
        "Navy chinos",
        "bottom",
        "#1f2a44",
        "cotton twill",
        "Slim straight chinos, mid rise.",
        [(0.3, 0.05), (0.7, 0.05), (0.75, 0.95), (0.56, 0.95), (0.5, 0.3), (0.44, 0.95), (0.25, 0.95)],
    ),
    (
        "Red midi dress",
        "dress",
        "#b0242e",
        "silk",
        "Bias-cut slip dress that falls below the knee.",
        [(0.4, 0.05), (0.6, 0.05), (0.62, 0.3), (0.8, 0.95), (0.2, 0.95), (0.38, 0.3)],
    ),
    (
        "Camel trench coat",
        "outerwear",
        "#c19a6b",
        "gabardine",
        "Double-breasted trench coat with a belt.",
        [
            (0.3, 0.05),
            (0.7, 0.05),
            (0.95, 0.5),
            (0.85, 0.55),
            (0.75, 0.35),
            (0.8, 0.95),
            (0.2, 0.95),
            (0.25, 0.35),
            (0.15, 0.55),
            (0.05, 0.5),
        ],
    ),
]

FASHION_MODELS = [
    dict(
        name="Amara",
        gender_presentation="feminine",
        age_range="25-34",
        body_type="athletic",
        skin_tone="dark brown",
        hair="short natural curls",
    ),
    dict(
        name="Jonas",
        gender_presentation="masculine",
        age_range="35-44",
        body_type="average",
        skin_tone="light",
        hair="short brown hair",
    ),
    dict(
        name="Mei",
        gender_presentation="feminine",
        age_range="18-24",
        body_type="petite",
        skin_tone="light",
        hair="long straight black hair",
    ),
    dict(
        name="Rafael",
        gender_presentation="masculine",
        age_range="25-34",
        body_type="plus-size",
        skin_tone="tan",
        hair="wavy dark hair",
    ),
]

SCENES = [
    ("Studio white", "seamless white studio backdrop, softbox lighting, e-commerce catalog photo", ""),
    ("City street", "city street at golden hour, shallow depth of field, lifestyle fashion photo", "crowd, cars"),
    ("Beach", "sandy beach at sunset, warm natural light, summer lookbook", ""),
    ("Loft", "industrial loft interior, large windows, soft daylight, editorial photo", "clutter"),
]


@dataclass
class DemoShop:
    merchant: Merchant
    username: str
    password: str | None  # only when the login was created by this run


def _garment_photo(colour: str, outline) -> SimpleUploadedFile:
    size = 768
    image = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(image).polygon([(x * size, y * size) for x, y in outline], fill=colour, outline="#333333")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("garment.png", buffer.getvalue(), content_type="image/png")


@transaction.atomic
def demo_shop_create() -> DemoShop:
    merchant, _ = Merchant.objects.get_or_create(slug=DEMO_SLUG, defaults={"name": "Demo Boutique"})

    password = None
    if not User.objects.filter(username="demo").exists():
        password = secrets.token_urlsafe(9)
        User.objects.create_user("demo", password=password, is_staff=True, merchant=merchant)

    garments = {}
    for name, category, colour, material, description, outline in GARMENTS:
        garments[name] = Garment.objects.filter(merchant=merchant, name=name).first() or services.garment_create(
            merchant=merchant,
            name=name,
            category=category,
            image=_garment_photo(colour, outline),
            colour=colour,
            material=material,
            description=description,
            **GARMENT_DETAILS.get(name, {}),
        )
    for sku, title, names in [
        ("DEMO-SHIRT", "Linen shirt", ["Linen shirt"]),
        ("DEMO-DRESS", "Red midi dress", ["Red midi dress"]),
        ("DEMO-TRENCH", "Camel trench coat", ["Camel trench coat"]),
        ("DEMO-OUTFIT", "Linen shirt & navy chinos", ["Linen shirt", "Navy chinos"]),
    ]:
        if not CatalogItem.objects.filter(merchant=merchant, sku=sku).exists():
            services.catalog_item_create(
                merchant=merchant, sku=sku, title=title, garments=[garments[name] for name in names]
            )

    for attributes in FASHION_MODELS:
        if not FashionModel.objects.filter(merchant=merchant, name=attributes["name"]).exists():
            services.fashion_model_create(merchant=merchant, **attributes)
    for pose in POSE_LIBRARY.values():
        if not Pose.objects.filter(merchant=merchant, name=pose.name).exists():
            services.pose_create(merchant=merchant, name=pose.name, keypoints=pose.keypoints)
    for name, prompt, negative in SCENES:
        if not Scene.objects.filter(merchant=merchant, name=name).exists():
            services.scene_create(
                merchant=merchant, name=name, prompt=prompt, negative_prompt=negative, **SCENE_DETAILS.get(name, {})
            )
    return DemoShop(merchant=merchant, username="demo", password=password)
