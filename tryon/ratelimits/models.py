from django.db import models


class RateCounter(models.Model):
    """Hits on one key in one fixed window, when TRYON_RATELIMIT_STORE is "database"."""

    key = models.CharField(max_length=250, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"
