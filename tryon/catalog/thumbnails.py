"""Pose skeleton thumbnails as PNG responses, for the admin and the shop's pose picker."""

import hashlib
import io
import json
from functools import lru_cache

from django.http import HttpResponse

from prompts.conditioning import render_pose_thumbnail
from tryon.catalog.models import Pose


def pose_version(pose: Pose) -> str:
    """Changes whenever the keypoints do: a thumbnail URL carrying it can be cached for long."""
    return hashlib.sha256(json.dumps(pose.keypoints).encode()).hexdigest()[:12]


@lru_cache(maxsize=256)
def _png(keypoints: tuple) -> bytes:
    buffer = io.BytesIO()
    render_pose_thumbnail(keypoints).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def pose_thumbnail_response(pose: Pose) -> HttpResponse:
    keypoints = tuple((float(x), float(y), bool(visible)) for x, y, visible in pose.keypoints)
    response = HttpResponse(_png(keypoints), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response
