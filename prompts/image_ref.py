"""ImageRef: how a pick or a plan points at an uploaded image without holding its pixels.

Plans stay small, JSON-friendly and pure: the caller loads the file by `name` from its storage and
hands the engine the pixels keyed by `sha256` (`render(plan, images={sha256: PIL.Image})`). The
fingerprint reads only `sha256`, so the same photo stored twice still hits the cache.
"""

import re
from dataclasses import dataclass

from prompts.errors import PlanError

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ImageRef:
    name: str  # storage name, for the caller to open the file
    sha256: str  # hex digest of the file's bytes: the key of its pixels, and all the fingerprint sees

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise PlanError(f"image.name: {self.name!r} must be a storage name")
        sha256 = self.sha256.lower() if isinstance(self.sha256, str) else self.sha256
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise PlanError(f"image.sha256: {self.sha256!r} is not a sha256 hex digest")
        object.__setattr__(self, "sha256", sha256)  # one spelling, one fingerprint

    @classmethod
    def from_value(cls, field: str, value) -> "ImageRef | None":
        """An ImageRef from itself, None, or its dict form (a plan's JSON); errors name `field`."""
        if value is None or isinstance(value, ImageRef):
            return value
        if isinstance(value, dict) and set(value) == {"name", "sha256"}:
            try:
                return cls(**value)
            except PlanError as error:
                raise PlanError(f"{field}.{str(error).removeprefix('image.')}") from None
        raise PlanError(f"{field}: expected an ImageRef, got {type(value).__name__}")
