"""A prediction's status as FASHN names it, whatever became of the try-on behind it."""

import pytest
from django.utils import timezone

from tests.tryon.fashn.conftest import queued_prediction
from tryon.fashn.models import Prediction
from tryon.jobs.models import TryOnJob

Code = TryOnJob.FailureCode


def ended(prediction_id: str, **fields) -> None:
    TryOnJob.objects.filter(pk=Prediction.objects.get(pk=prediction_id).job_id).update(**fields)


@pytest.mark.parametrize(
    "code, name",
    [
        (Code.INVALID_INPUT, "InputValidationError"),
        (Code.CONTENT_MODERATION, "ContentModerationError"),
        (Code.OUT_OF_MEMORY, "PipelineError"),
        (Code.TIMED_OUT, "PipelineError"),
        (Code.WORKER_LOST, "InternalServerError"),
        (Code.UNSERVED_PRESET, "InternalServerError"),
        ("", "InternalServerError"),
    ],
)
def test_a_failed_try_on_reports_fashns_error_name_and_our_words(fashn, storefront, code, name):
    prediction_id = queued_prediction(storefront)
    ended(prediction_id, status=TryOnJob.Status.FAILED, failure_code=code, error="The worker ran out of memory.")

    status = fashn.predictions.status(prediction_id)

    assert status.status == "failed" and status.output is None
    assert (status.error.name, status.error.message) == (name, "The worker ran out of memory.")


@pytest.mark.parametrize(
    "job_status, enqueued, fashn_status",
    [
        (TryOnJob.Status.QUEUED, False, "starting"),
        (TryOnJob.Status.QUEUED, True, "in_queue"),
        (TryOnJob.Status.RUNNING, True, "processing"),
        (TryOnJob.Status.CANCELLED, True, "canceled"),
    ],
)
def test_each_state_of_the_try_on_is_a_fashn_status(fashn, storefront, job_status, enqueued, fashn_status):
    prediction_id = queued_prediction(storefront)
    ended(prediction_id, status=job_status, enqueued_at=timezone.now() if enqueued else None)

    status = fashn.predictions.status(prediction_id)

    assert (status.status, status.output, status.error) == (fashn_status, None, None)
