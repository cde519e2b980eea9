"""A casting: a merchant's request for generated fashion models, and the candidates it produced.

Each candidate's two images are rendered by ordinary try-on jobs (queues, claims, progress, watchdog, sweeper
and failure codes are the jobs app's); a casting's state is read off its jobs, never stored beside them.
"""

from django.db import models

from prompts.casting import MAX_CANDIDATES
from tryon.catalog.models import FashionModel
from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant


class Casting(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    # prompts.casting.CastingAttributes.to_dict(): what the merchant asked for, as validated
    attributes = models.JSONField()
    count = models.PositiveSmallIntegerField()
    preset = models.CharField(max_length=50)
    seed = models.BigIntegerField(help_text="The candidates' seed families follow from it")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count__gte=1, count__lte=MAX_CANDIDATES), name="casting_count_in_range"
            )
        ]

    def __str__(self):
        return f"Casting #{self.pk}"


def candidate_upload_to(candidate, filename):
    return f"casting/{candidate.casting.merchant_id}/{candidate.casting_id}/{filename}"


class CastingCandidate(models.Model):
    """One person of a casting: the words and seed that fix them, their two images, and whom they became."""

    casting = models.ForeignKey(Casting, on_delete=models.CASCADE, related_name="candidates")
    index = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    hair = models.CharField(max_length=100)
    identity_prompt = models.CharField(max_length=300)
    portrait_job = models.ForeignKey(TryOnJob, null=True, on_delete=models.SET_NULL, related_name="+")
    full_body_job = models.ForeignKey(TryOnJob, null=True, on_delete=models.SET_NULL, related_name="+")
    # Copies of the jobs' images, so the candidate outlives its jobs' retention
    portrait = models.ImageField(upload_to=candidate_upload_to, blank=True)
    portrait_sha256 = models.CharField(max_length=64, blank=True)
    full_body = models.ImageField(upload_to=candidate_upload_to, blank=True)
    full_body_sha256 = models.CharField(max_length=64, blank=True)
    kept_as = models.ForeignKey(FashionModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kept_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why its full-body job could not be queued; its jobs say the rest")

    class Meta:
        ordering = ["casting_id", "index"]
        constraints = [models.UniqueConstraint(fields=["casting", "index"], name="casting_candidate_one_per_index")]

    def __str__(self):
        return f"Candidate {self.index + 1} of casting #{self.casting_id}"
