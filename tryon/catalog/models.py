"""What a merchant owns: garments, catalog items, and the fashion models, poses and scenes they are shown in."""

from django.core.validators import RegexValidator
from django.db import models

from prompts.vocabulary import (
    AGE_RANGES,
    BODY_TYPES,
    EXPRESSIONS,
    FITS,
    GARMENT_CATEGORIES,
    GENDER_PRESENTATIONS,
    LENGTHS,
    LIGHTINGS,
    PATTERNS,
    SKIN_TONES,
    SLEEVE_LENGTHS,
    TIMES_OF_DAY,
)
from tryon.merchants.models import Merchant


def _choices(values):
    """Vocabulary words as labels: "plus-size" reads "Plus size", an age range "25-34" reads "25–34"."""
    return [
        (value, value.replace("-", "–") if value[0].isdigit() else value.replace("-", " ").capitalize())
        for value in values
    ]


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB, for example #1f3a5f.")


class MerchantOwned(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class CatalogEntry(MerchantOwned):
    """A pick the merchant's catalog lists, unless it is transient."""

    # A photo sent with one API request (the FASHN-compatible /v1/run, tryon.fashn), and what it was made into:
    # rendered like any pick, never listed in the catalog, deleted after TRYON_FASHN_RETENTION_HOURS.
    transient = models.BooleanField(default=False, editable=False)

    class Meta:
        abstract = True


def garment_upload_to(garment, filename):
    return f"garments/{garment.merchant_id}/{filename}"


def garment_cutout_upload_to(garment, filename):
    return f"garments/{garment.merchant_id}/cutouts/{filename}"


def fashion_model_upload_to(fashion_model, filename):
    return f"fashion-models/{fashion_model.merchant_id}/{filename}"


def scene_upload_to(scene, filename):
    return f"scenes/{scene.merchant_id}/{filename}"


class Garment(CatalogEntry):
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=_choices(GARMENT_CATEGORIES))
    image = models.ImageField(upload_to=garment_upload_to, width_field="image_width", height_field="image_height")
    image_width = models.PositiveIntegerField(editable=False, default=0)
    image_height = models.PositiveIntegerField(editable=False, default=0)
    image_sha256 = models.CharField(max_length=64, editable=False, blank=True)
    colour = models.CharField(max_length=7, blank=True, validators=[hex_colour], help_text="#RRGGBB")
    material = models.CharField(max_length=100, blank=True)
    pattern = models.CharField(max_length=20, blank=True, choices=_choices(PATTERNS))
    fit = models.CharField(max_length=20, blank=True, choices=_choices(FITS))
    length = models.CharField(max_length=20, blank=True, choices=_choices(LENGTHS))
    sleeve_length = models.CharField(max_length=20, blank=True, choices=_choices(SLEEVE_LENGTHS))
    keywords = models.CharField(max_length=300, blank=True, help_text="Comma-separated, e.g. breathable, summer")
    description = models.TextField(max_length=2000, blank=True)
    # The garment cut out of its photo (RGBA PNG): what renders warp onto the person. Made once per photo
    # (tryon.catalog.cutouts); a photo without a plain background has none, and cutout_error says why.
    cutout = models.ImageField(upload_to=garment_cutout_upload_to, blank=True, editable=False)
    cutout_sha256 = models.CharField(max_length=64, editable=False, blank=True)
    cutout_of = models.CharField(max_length=64, editable=False, blank=True, help_text="sha256 of the photo cut out")
    cutout_error = models.CharField(max_length=300, editable=False, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["merchant", "category"])]

    def __str__(self):
        return self.name


class CatalogItem(MerchantOwned):
    """A product in the shop: one or more garments sold together, and the gallery shown for it."""

    sku = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    garments = models.ManyToManyField(Garment, related_name="catalog_items")

    class Meta:
        ordering = ["title", "id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "sku"], name="catalog_item_unique_sku")]

    def __str__(self):
        return f"{self.title} ({self.sku})"


class KeypointSource(models.TextChoices):
    """Where a fashion model's photo keypoints came from."""

    NONE = "", "None"
    DETECTED = "detected", "Detected in the photo"
    EDITED = "edited", "Corrected by the merchant"
    POSE = "pose", "No detector: renders use the picked pose"


class FashionModel(CatalogEntry):
    """The person clothes are shown on, described by what a prompt needs."""

    name = models.CharField(max_length=100)
    gender_presentation = models.CharField(max_length=20, choices=_choices(GENDER_PRESENTATIONS))
    age_range = models.CharField(max_length=10, choices=_choices(AGE_RANGES))
    body_type = models.CharField(max_length=20, choices=_choices(BODY_TYPES))
    skin_tone = models.CharField(max_length=20, choices=_choices(SKIN_TONES))
    hair = models.CharField(max_length=100, blank=True, help_text="e.g. long wavy auburn hair")
    expression = models.CharField(max_length=20, blank=True, choices=_choices(EXPRESSIONS))
    reference_photo = models.ImageField(upload_to=fashion_model_upload_to, blank=True)
    reference_photo_sha256 = models.CharField(max_length=64, editable=False, blank=True)
    # The person's own body in the reference photo, which garments are warped onto: 18 OpenPose
    # [x, y, visible], x and y fractions of the pose canvas the photo is letterboxed into.
    photo_keypoints = models.JSONField(null=True, blank=True)
    photo_keypoints_source = models.CharField(
        max_length=10, choices=KeypointSource.choices, blank=True, default=KeypointSource.NONE
    )
    photo_keypoints_note = models.CharField(max_length=300, blank=True)  # why there are none, for the merchant
    height_cm = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Body height in centimetres")
    # A cast model's identity (tryon.casting): the portrait every render of it is conditioned on, its neutral
    # full-body reference, the seed family its renders start from and the fixed words that describe the person.
    identity_portrait = models.ImageField(upload_to=fashion_model_upload_to, blank=True, editable=False)
    identity_portrait_sha256 = models.CharField(max_length=64, editable=False, blank=True)
    identity_full_body = models.ImageField(upload_to=fashion_model_upload_to, blank=True, editable=False)
    identity_full_body_sha256 = models.CharField(max_length=64, editable=False, blank=True)
    identity_seed = models.BigIntegerField(null=True, blank=True, editable=False)
    identity_prompt = models.CharField(max_length=300, blank=True, editable=False)
    # A shopper's own (tryon.shoppers): never listed, never in a gallery, its renders never served to anyone else
    private = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Pose(CatalogEntry):
    """A body pose as 18 OpenPose keypoints: [x, y, visible] with x, y normalised to 0..1."""

    name = models.CharField(max_length=100)
    keypoints = models.JSONField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Scene(CatalogEntry):
    name = models.CharField(max_length=100)
    prompt = models.CharField(max_length=300, help_text="e.g. bright white photo studio, softbox lighting")
    negative_prompt = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=200, blank=True, help_text="e.g. a cobbled street in Lisbon")
    lighting = models.CharField(max_length=30, blank=True, choices=_choices(LIGHTINGS))
    time_of_day = models.CharField(max_length=20, blank=True, choices=_choices(TIMES_OF_DAY))
    # Shown to shoppers on the scene picker; it never steers the render (the prompt does).
    picture = models.ImageField(upload_to=scene_upload_to, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name
