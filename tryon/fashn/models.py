"""A FASHN-style prediction: the id a client polls, over one try-on job and the photos sent for it."""

import uuid

from django.db import models

from tryon.catalog.models import FashionModel, Garment, Scene
from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant


class Prediction(models.Model):
    """What `POST /v1/run` made: the job that renders it, and how the client wants the answer.

    The garment and person photos sent with the request (and a `prompt`'s scene) are transient catalog rows
    (`Garment.transient`): this row holds them, and the sweeper deletes them, the job and every file made from
    them at `expires_at`.
    """

    class ModelName(models.TextChoices):
        TRYON_V1_6 = "tryon-v1.6", "Virtual try-on v1.6"
        TRYON_V1_5 = "tryon-v1.5", "Virtual try-on v1.5 (rendered as v1.6)"
        PRODUCT_TO_MODEL = "product-to-model", "Product to model"

    class OutputFormat(models.TextChoices):
        PNG = "png", "PNG"
        JPEG = "jpeg", "JPEG"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    # Several predictions may share a job (the same photos, options and seed render once); PROTECT: the purge
    # deletes a job only once no prediction points at it.
    job = models.ForeignKey(TryOnJob, on_delete=models.PROTECT, related_name="+")
    model_name = models.CharField(max_length=30, choices=ModelName.choices)
    # The request's options as given (images aside): category, mode, moderation_level, ...
    options = models.JSONField(default=dict, blank=True)
    output_format = models.CharField(max_length=4, choices=OutputFormat.choices, default=OutputFormat.PNG)
    return_base64 = models.BooleanField(default=False)
    webhook_url = models.URLField(max_length=2000, blank=True)
    garment = models.ForeignKey(Garment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(FashionModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # product-to-model's `prompt`, as the scene it describes
    scene = models.ForeignKey(Scene, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The images in the format asked for, as storage names: the job's PNGs, or JPEG copies made once.
    outputs = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["merchant", "created_at"])]

    def __str__(self):
        return f"Prediction {self.id} ({self.model_name})"
