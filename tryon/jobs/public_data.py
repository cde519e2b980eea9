"""A try-on job as the outside world sees it: the storefront API answers it and webhooks send it, so both
import it from here (the webhooks app uses jobs and catalog only, never the API). Links name the API's
routes by URL name, which needs no import of it.
"""

import functools
from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from prompts import MAX_SAMPLES
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.media.signing import signed_url
from tryon.reversing import reverse_context


def absolute_url(context: dict, url: str) -> str:
    """With a request, relative to it; without one (webhooks), relative to TRYON_PUBLIC_URL."""
    if request := context.get("request"):
        return request.build_absolute_uri(url)
    return urljoin(settings.TRYON_PUBLIC_URL, url)


def job_link(context: dict, job: TryOnJob, route: str) -> str:
    """The absolute URL of a job's API route ("detail" or "cancel")."""
    head, tail = _id_route(f"api:tryon-{route}", *reverse_context())
    return absolute_url(context, f"{head}{int(job.id)}{tail}")


_SOME_ID = 987654321987654321  # as long as an id may be (tryon.api.routing.IdConverter), found once in its URL


@functools.lru_cache(maxsize=64)
def _id_route(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    """A route with one id, reversed once per prefix and URL conf: the URL before and after its id. Every answer
    carries links to its job, and reverse() searches the routes again each time."""
    head, found, tail = reverse(name, kwargs={"id": _SOME_ID}).partition(str(_SOME_ID))
    if not found or str(_SOME_ID) in tail:
        raise ValueError(f"{name}: a route with one id in its URL")
    return head, tail


def file_url(context: dict, file) -> str | None:
    """A stored file as an absolute, signed URL that expires; None when there is no file."""
    return absolute_url(context, signed_url(file)) if file else None


@extend_schema_field(OpenApiTypes.URI)
class FileUrlField(serializers.Field):
    """An uploaded or generated file as an absolute, signed URL that expires; null when there is no file."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, file):
        return file_url(self.context, file)

    def get_attribute(self, instance):
        return super().get_attribute(instance) or None


class FidelityScoresOutput(serializers.Serializer):
    colour_delta_e_median = serializers.FloatField(help_text="CIEDE2000 to the garment's colours; under ~3 is close.")
    colour_delta_e_p90 = serializers.FloatField()
    pattern_ssim = serializers.FloatField(help_text="Structural similarity to the warped garment, -1 to 1.")
    edge_agreement = serializers.FloatField(help_text="0 to 1: prints and stripes run the same way.")
    coverage = serializers.FloatField(help_text="0 to 1: share of the garment's region showing its colours.")
    leakage = serializers.FloatField(help_text="0 to 1: garment colour spilling outside its region.")
    pose_error = serializers.FloatField(allow_null=True, help_text="Null where no keypoint detector is installed.")
    pose_note = serializers.CharField(allow_blank=True)
    identity_similarity = serializers.FloatField(
        allow_null=True, default=None, help_text="A cast fashion model's face against its portrait, -1 to 1; else null."
    )
    identity_note = serializers.CharField(
        allow_blank=True, default="", help_text="Why identity_similarity is null, or why it was not gated."
    )


class TryOnImageOutput(serializers.ModelSerializer):
    url = FileUrlField(source="file")
    scores = FidelityScoresOutput(allow_null=True, help_text="Fidelity to the garment; null where not measurable.")
    quality_failures = serializers.ListField(
        child=serializers.CharField(), help_text="Thresholds of the quality gate this image missed; [] when it passed."
    )

    class Meta:
        model = GeneratedImage
        fields = ["index", "url", "width", "height", "seed", "parameters", "scores", "quality_failures", "attempt"]
        read_only_fields = fields
        extra_kwargs = {"parameters": {"help_text": "AUTOMATIC1111-style infotext of this image."}}


class TryOnStepsOutput(serializers.Serializer):
    done = serializers.IntegerField(source="steps_done")
    total = serializers.IntegerField(source="steps_total")


class TryOnTimingsOutput(serializers.Serializer):
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    render_seconds = serializers.FloatField(allow_null=True)


class TryOnLinksOutput(serializers.Serializer):
    self = serializers.SerializerMethodField()
    cancel = serializers.SerializerMethodField()

    def get_self(self, job) -> str:
        return job_link(self.context, job, "detail")

    def get_cancel(self, job) -> str:
        return job_link(self.context, job, "cancel")


class TryOnOutput(serializers.ModelSerializer):
    progress = serializers.FloatField(min_value=0, max_value=1, help_text="0 to 1; 1 once succeeded.")
    steps = TryOnStepsOutput(source="*")
    samples = serializers.IntegerField(
        read_only=True, min_value=1, max_value=MAX_SAMPLES, help_text="Images this try-on renders."
    )
    images = TryOnImageOutput(many=True, read_only=True)
    draft_url = FileUrlField(
        source="draft",
        allow_null=True,
        help_text="The garments warped onto the person, ready at once; the images replace it when done.",
    )
    quality_retries = serializers.SerializerMethodField(help_text="Attempts past the first the quality gate asked for.")
    parameters = serializers.SerializerMethodField(help_text="AUTOMATIC1111-style infotext of the first image.")
    garment_ids = serializers.PrimaryKeyRelatedField(source="garments", many=True, read_only=True)
    timings = TryOnTimingsOutput(source="*")
    links = TryOnLinksOutput(source="*")
    failure_code = serializers.ChoiceField(
        choices=TryOnJob.FailureCode.choices,
        allow_null=True,
        help_text="Why a failed or cancelled try-on ended, for code to act on (null otherwise); `error` says it "
        "in words.",
    )

    class Meta:
        model = TryOnJob
        fields = [
            "id", "status", "progress", "steps", "cancel_requested", "failure_code", "error", "notice", "draft_url",
            "images",
            "quality_retries", "parameters",
            "preset", "seed", "samples", "catalog_item_id", "garment_ids", "fashion_model_id", "pose_id", "scene_id",
            "timings", "links",
        ]  # fmt: skip
        read_only_fields = fields

    def get_quality_retries(self, job) -> int:
        return max(0, len(job.quality_attempts) - 1)

    def get_parameters(self, job) -> str | None:
        first = next(iter(job.images.all()), None)  # images come in index order (Meta.ordering)
        return first.parameters if first else None

    def to_representation(self, job):
        data = super().to_representation(job)
        data["progress"] = round(job.progress, 3)
        data["failure_code"] = job.failure_code or None
        return data


def job_public_data(job: TryOnJob, *, request=None, new: bool = False) -> dict:
    """A job as the storefront API shows it; webhooks send the same shape.

    Built field by field, not through TryOnOutput: every submission answers one, and DRF's serializer costs
    more CPU than the rest of the answer together (it copies its 40-odd fields for each job). TryOnOutput stays
    the documented shape, and tests/tryon/api/test_public_data.py holds the two equal for every kind of job.

    `new`: the caller created this job moments ago (the create request), so it has no images yet and none
    are read (a caller rendering in-process must still see what it stored, so the job itself is not marked).
    """
    context = {"request": request}
    images = [] if new and "images" not in getattr(job, "_prefetched_objects_cache", {}) else list(job.images.all())
    return {
        "id": job.id,
        "status": job.status,
        "progress": round(job.progress, 3),
        "steps": {"done": job.steps_done, "total": job.steps_total},
        "cancel_requested": job.cancel_requested,
        "failure_code": job.failure_code or None,
        "error": job.error,
        "notice": job.notice,
        "draft_url": file_url(context, job.draft),
        "images": [_image_data(context, image) for image in images],
        "quality_retries": max(0, len(job.quality_attempts) - 1),
        "parameters": images[0].parameters if images else None,
        "preset": job.preset,
        "seed": job.seed,
        "samples": job.samples,
        "catalog_item_id": job.catalog_item_id,
        "garment_ids": [garment.pk for garment in job.garments.all()],
        "fashion_model_id": job.fashion_model_id,
        "pose_id": job.pose_id,
        "scene_id": job.scene_id,
        "timings": {
            "created_at": _datetime(job.created_at),
            "started_at": _datetime(job.started_at),
            "finished_at": _datetime(job.finished_at),
            "render_seconds": _shown(job.render_seconds, float),
        },
        "links": {"self": job_link(context, job, "detail"), "cancel": job_link(context, job, "cancel")},
    }


_datetime = serializers.DateTimeField().to_representation  # ISO 8601 in the current time zone, as DRF writes it
_SCORES = {  # each score: how DRF writes it, and what a stored score that lacks it shows (None without a default)
    name: (field.to_representation, None if field.default is empty else field.default)
    for name, field in FidelityScoresOutput._declared_fields.items()
}


def _shown(value, written):
    return None if value is None else written(value)


def _image_data(context: dict, image: GeneratedImage) -> dict:
    scores = image.scores
    return {
        "index": image.index,
        "url": file_url(context, image.file),
        "width": image.width,
        "height": image.height,
        "seed": image.seed,
        "parameters": image.parameters,
        "scores": None
        if scores is None
        else {name: _shown(scores.get(name, default), written) for name, (written, default) in _SCORES.items()},
        "quality_failures": [_shown(failure, str) for failure in image.quality_failures],
        "attempt": image.attempt,
    }
