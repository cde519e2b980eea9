"""What the A1111-compatible API keeps per storefront key: its chosen checkpoint, and the renders it asked for."""

from django.db import models

from tryon.api.models import StorefrontKey
from tryon.jobs.models import TryOnJob


class A1111Options(models.Model):
    """A key's `POST /sdapi/v1/options`: A1111 keeps one loaded checkpoint per server, we keep one per key."""

    key = models.OneToOneField(StorefrontKey, on_delete=models.CASCADE, related_name="+")
    checkpoint = models.CharField(max_length=50, help_text="The preset txt2img and img2img render with")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "A1111 options"
        verbose_name_plural = "A1111 options"

    def __str__(self):
        return f"{self.key}: {self.checkpoint}"


class A1111Render(models.Model):
    """One job a key's txt2img or img2img waits for: what `progress` reports and `interrupt` stops."""

    key = models.ForeignKey(StorefrontKey, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(TryOnJob, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.key}: try-on #{self.job_id}"
