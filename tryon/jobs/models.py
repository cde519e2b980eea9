"""Try-on jobs and the images they produce."""

from django.db import models
from django.utils import timezone

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

    class FailureCode(models.TextChoices):
        """Why a job failed or was cancelled, for code to act on; `error` says it in words for people."""

        OUT_OF_MEMORY = "out_of_memory", "Out of memory"
        WEIGHTS_MISSING = "weights_missing", "Model weights missing"
        CANCELLED = "cancelled", "Cancelled"
        TIMED_OUT = "timed_out", "Timed out"
        INVALID_INPUT = "invalid_input", "Invalid input"
        UNSERVED_PRESET = "unserved_preset", "No worker serves its preset"
        WORKER_LOST = "worker_lost", "Worker lost"
        CONTENT_MODERATION = "content_moderation", "Content moderation"
        INTERNAL = "internal", "Internal error"

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
    resends = models.PositiveSmallIntegerField(default=0, help_text="Times the sweeper sent its task again")
    error = models.TextField(blank=True)
    failure_code = models.CharField(max_length=20, choices=FailureCode.choices, blank=True)
    # What the shopper sees at once: the garments warped onto the person, before diffusion (tryon.jobs.drafts)
    draft = models.ImageField(upload_to="drafts/", blank=True)
    notice = models.TextField(blank=True, help_text="How this render differs from what was asked, in words")
    # The quality gate's record: every attempt's seed and each image's scores and failures (tryon.jobs.quality)
    quality_attempts = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last time its task was sent")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life from its worker")
    finished_at = models.DateTimeField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "try-on job"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "status"]),
            # The claim order (tryon.jobs.claims): the queued jobs of a preset, and when each merchant was last served.
            models.Index(
                fields=["preset", "created_at"], condition=models.Q(status="queued"), name="tryon_job_queued_by_preset"
            ),
            models.Index(fields=["merchant", "preset", "started_at"], name="tryon_job_merchant_served"),
        ]
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

    class Source(models.TextChoices):
        MERCHANT = "merchant", "Merchant's bulk render"
        PRECOMPUTE = "precompute", "Precomputed picks"  # tryon.jobs.precompute: what shoppers will pick

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    jobs = models.ManyToManyField(TryOnJob, related_name="batches")  # a cached job can serve several
    preset = models.CharField(max_length=50)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MERCHANT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "try-on batch"
        verbose_name_plural = "try-on batches"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Batch #{self.pk}"


class PickCount(models.Model):
    """How often shoppers picked one combination for a catalog item (tryon.jobs.precompute renders the most
    picked before anyone asks). A counter per combination and nothing else: no session, address or time."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="+")
    fashion_model = models.ForeignKey(FashionModel, on_delete=models.CASCADE, related_name="+")
    pose = models.ForeignKey(Pose, on_delete=models.CASCADE, related_name="+")
    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["catalog_item", "fashion_model", "pose", "scene"], name="pick_count_one_per_combination"
            )
        ]
        indexes = [models.Index(fields=["merchant", "-count"], name="pick_count_most_picked")]

    def __str__(self):
        return f"{self.count} picks"


class PersonRender(models.Model):
    """Stage 1 of a warp try-on: a fashion model in a pose and scene, in plain base clothes.

    Keyed by its plan's fingerprint, so every garment tried on the same model, pose and scene shares it.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    file = models.ImageField(upload_to="persons/")
    sha256 = models.CharField(max_length=64)
    preset = models.CharField(max_length=50)
    render_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "fingerprint"], name="person_render_one_per_plan")]

    def __str__(self):
        return f"Person {self.fingerprint[:8]}"


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
    # Fidelity to the garment (generation.scoring.FidelityScores.to_dict), the gate's reasons if it failed,
    # and the region the garment should cover, for the admin's overlay
    scores = models.JSONField(null=True, blank=True)
    quality_failures = models.JSONField(default=list, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0, help_text="Which quality-gate attempt made it")
    garment_mask = models.ImageField(upload_to=generated_image_upload_to, blank=True)
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


class WorkerHeartbeat(models.Model):
    """A worker's last sign of life and the presets it serves (tryon.jobs.heartbeats).

    Rows are kept after a worker stops: "has any worker ever served this preset" is read from them.
    """

    hostname = models.CharField(max_length=255, unique=True, help_text="Celery node name, e.g. gpu0@host")
    presets = models.JSONField(default=list, help_text="The presets whose queues it consumes")
    queues = models.JSONField(default=list)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self):
        return self.hostname


class SweeperState(models.Model):
    """Who sweeps now (a lease, so two workers never sweep at once) and when the sweeper last ran."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=255, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True, help_text="When a sweep last finished")
    last_run_by = models.CharField(max_length=255, blank=True)

    def __str__(self):
        return self.name


class JobEvent(models.Model):
    """The outbox: what happened to a job, written in the transaction that made it happen and announced to
    listeners after it commits (tryon.jobs.outbox). A crash in between leaves the row for the relay."""

    class Kind(models.TextChoices):
        JOB_FINISHED = "job_finished", "Job finished"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    job = models.ForeignKey(TryOnJob, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="When its listeners were told")
    # A listener that keeps failing must not hold up newer events: failed tries back off, then park the event.
    attempts = models.PositiveIntegerField(default=0, help_text="Announcements that failed")
    last_error = models.TextField(blank=True, default="")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Not relayed again before this")

    class Meta:
        ordering = ["id"]
        indexes = [
            # The relay reads only the few undispatched rows, however long the table grows.
            models.Index(
                fields=["created_at"], condition=models.Q(dispatched_at__isnull=True), name="job_event_undispatched"
            )
        ]

    def __str__(self):
        return f"{self.kind} of job #{self.job_id}"
