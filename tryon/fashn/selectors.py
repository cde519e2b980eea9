"""Predictions as FASHN reports them: `{"id", "status", "output", "error"}`, scoped to one merchant."""

import uuid
from urllib.parse import urljoin

from django.conf import settings
from django.http import Http404

from tryon.fashn.models import Prediction
from tryon.jobs.models import TryOnJob
from tryon.media.signing import signed_url
from tryon.merchants.models import Merchant

Status = TryOnJob.Status
STATUS = {
    Status.QUEUED: "in_queue",
    Status.RUNNING: "processing",
    Status.SUCCEEDED: "completed",
    Status.FAILED: "failed",
    Status.CANCELLED: "canceled",
}
Code = TryOnJob.FailureCode
# failure_code -> FASHN's error name. The pipeline's own troubles are PipelineError (FASHN: "retry");
# a lost worker, a preset nobody serves and anything unforeseen are InternalServerError.
ERROR_NAMES = {
    Code.INVALID_INPUT: "InputValidationError",
    Code.CONTENT_MODERATION: "ContentModerationError",
    Code.OUT_OF_MEMORY: "PipelineError",
    Code.WEIGHTS_MISSING: "PipelineError",
    Code.TIMED_OUT: "PipelineError",
}


def prediction_get(*, merchant: Merchant, prediction_id: str) -> Prediction:
    """The merchant's prediction; another merchant's, or an id that is no id, is not found alike."""
    try:
        key = uuid.UUID(prediction_id)
    except ValueError:
        key = None
    prediction = Prediction.objects.filter(merchant=merchant, pk=key).select_related("job").first() if key else None
    if prediction is None:
        raise Http404(f"No prediction with id {prediction_id[:64]!r}.")
    return prediction


def _status(job: TryOnJob) -> str:
    if job.status == Status.QUEUED and job.enqueued_at is None:
        return "starting"  # accepted, its render not yet handed to the queue
    return STATUS[job.status]


def prediction_status(prediction: Prediction, *, request=None, inline_images: bool = True) -> dict:
    """The status object; URLs absolute to the request, or to TRYON_PUBLIC_URL without one (webhooks).
    Images are data URIs when the client asked for `return_base64`, unless `inline_images` is False."""
    from tryon.fashn.services import output_data_uri, prediction_outputs_get

    job = prediction.job
    status, output, error = _status(job), None, None
    if status == "completed":
        names = prediction_outputs_get(prediction=prediction)
        if prediction.return_base64 and inline_images:
            output = [output_data_uri(name) for name in names]
        else:
            links = [signed_url(name) for name in names]
            output = [
                request.build_absolute_uri(link) if request else urljoin(settings.TRYON_PUBLIC_URL, link)
                for link in links
            ]
    elif status == "failed":
        code = getattr(job, "failure_code", "")
        error = {"name": ERROR_NAMES.get(code, "InternalServerError"), "message": job.error or "The render failed."}
    return {"id": str(prediction.id), "status": status, "output": output, "error": error}
