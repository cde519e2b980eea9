"""Try-on jobs and the images they produce."""

from django.db import models

from prompts.vocabulary import STYLES
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.merchants.models import Merchant


class TryOnJob(models.Model):
    """One request to render a garment on a fashion model, in a pose and a scene.

    queued -> running -> succeeded | failed | cancelled; a queued job may also be cancelled.
    Transitions are conditional UPDATEs in tryon.jobs.services, never assignments.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.TextChoices):
        SHOPPER = "shopper", "Shopper (interactive)"
        BATCH = "batch", "Merchant batch"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    # A job in one of these states answers any identical request (see cache_key).
    REUSABLE = (Status.QUEUED, Status.RUNNING, Status.SUCCEEDED)

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    catalog_item = models.ForeignKey(CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    garments = models.ManyToManyField(Garment, related_name="+")
    fashion_model = models.ForeignKey(FashionModel, null=True, on_delete=models.SET_NULL, related_name="+")
    pose = models.ForeignKey(Pose, null=True, on_delete=models.SET_NULL, related_name="+")
    scene = models.ForeignKey(Scene, null=True, on_delete=models.SET_NULL, related_name="+")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    plan = models.JSONField()
    plan_fingerprint = models.CharField(max_length=64, db_index=True)
    # The plan's fingerprint plus where the images go: equal keys render equal images for the same item.
    cache_key = models.CharField(max_length=64, editable=False)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.SHOPPER)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker claimed it")
    preset = models.CharField(max_length=50)
    style = models.CharField(max_length=20, choices=[(style, style.capitalize()) for style in STYLES], default="studio")
    seed = models.BigIntegerField()
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last time its task was sent")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life from its worker")
    finished_at = models.DateTimeField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "try-on job"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed", "cancelled"]),
                name="tryon_job_status_valid",
            ),
            # Concurrent identical requests share one render: the second insert fails and reuses the first.
            models.UniqueConstraint(
                fields=["merchant", "cache_key"],
                condition=models.Q(status__in=["queued", "running", "succeeded"]),
                name="tryon_job_one_live_per_cache_key",
            ),
        ]

    def __str__(self):
        return f"Try-on #{self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        """0..1; a finished job is complete whatever step it stopped at."""
        if self.status == self.Status.SUCCEEDED:
            return 1.0
        return self.steps_done / self.steps_total if self.steps_total else 0.0

    @property
    def samples(self) -> int:
        return self.plan.get("samples", 1)  # plans from before samples rendered one

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class TryOnBatch(models.Model):
    """A merchant's bulk render: garments × fashion models × poses × scenes, one job each."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    jobs = models.ManyToManyField(TryOnJob, related_name="batches")  # a cached job can serve several
    preset = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "try-on batch"
        verbose_name_plural = "try-on batches"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Batch #{self.pk}"


def generated_image_upload_to(image, filename):
    return f"generated/{image.merchant_id}/{image.job_id}/{filename}"


class GeneratedImage(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(TryOnJob, on_delete=models.CASCADE, related_name="images")
    index = models.PositiveSmallIntegerField(default=0, help_text="Position among the job's samples")
    catalog_item = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="generated_images"
    )
    file = models.ImageField(upload_to=generated_image_upload_to)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    parameters = models.TextField(help_text="AUTOMATIC1111-style infotext, also in the PNG's parameters chunk")
    # Review (tryon/jobs/gallery.py): new images await it; approved ones are shown to shoppers, the
    # primary one first; rejected ones stay out of the gallery.
    approved = models.BooleanField(default=False)
    rejected = models.BooleanField(default=False)
    primary = models.BooleanField(default=False, help_text="Shown first in the catalog item's gallery")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-job_id", "index"]  # newest try-on first, its samples in seed order
        constraints = [
            # A redelivered job must never produce a second image for the same sample.
            models.UniqueConstraint(fields=["job", "index"], name="generated_image_one_per_sample"),
            models.CheckConstraint(
                condition=~models.Q(approved=True, rejected=True), name="generated_image_approved_or_rejected"
            ),
            models.CheckConstraint(
                condition=models.Q(primary=False) | models.Q(approved=True), name="generated_image_primary_approved"
            ),
            models.UniqueConstraint(
                fields=["catalog_item"], condition=models.Q(primary=True), name="generated_image_one_primary_per_item"
            ),
        ]

    def __str__(self):
        return f"Image {self.index} of job #{self.job_id}"
