"""A clock for tests of what happens after hours or days."""

from datetime import timedelta

from django.utils import timezone


class Clock:
    """A frozen `timezone.now()` that a test moves forward by hand."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)
