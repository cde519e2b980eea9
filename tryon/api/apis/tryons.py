"""Try-on jobs: create, poll, list, cancel."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tryon.api.apis.base import ScopedListApi, validated
from tryon.api.apis.shopper_models import jobs_visible_to, shopper_model_of, tryon_job_of
from tryon.api.auth import merchant_of
from tryon.api.idempotency import idempotent
from tryon.api.selectors import tryon_job_list, tryon_picks_get
from tryon.api.serializers import TryOnCreateInput, TryOnListFilter, TryOnOutput, tryon_job_data
from tryon.jobs.public_data import job_link
from tryon.jobs.services import tryon_job_cancel, tryon_job_create
from tryon.shoppers.services import shopper_model_touch

# The service's field names, as this API names them.
API_FIELDS = {
    "fashion_model": "fashion_model_id",
    "pose": "pose_id",
    "scene": "scene_id",
    "garments": "garment_ids",
    "catalog_item": "catalog_item_id",
}
PICK_FIELDS = ("garment_ids", "catalog_item_id", "fashion_model_id", "pose_id", "scene_id")


class TryOnCreateApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=TryOnCreateInput,
        responses={202: TryOnOutput, 200: TryOnOutput},
        summary="Ask for a try-on",
        description="202: a try-on is queued or rendering; poll `links.self` or wait for a webhook. The same "
        "picks, seed and samples as an earlier try-on share its render; when that one has already succeeded the answer "
        "is 200 with its images at once.",
    )
    @idempotent
    def post(self, request):
        data = validated(TryOnCreateInput, request.data)
        merchant = merchant_of(request)
        named = {name: data[name] for name in PICK_FIELDS if name in data}
        person = None
        if "shopper_model_id" in data:  # a shopper's own model (tryon.shoppers): only the key that made it finds it
            person = shopper_model_of(request, data["shopper_model_id"], field="shopper_model_id").fashion_model
            named.pop("fashion_model_id", None)
            named["fashion_model"] = person
        picks = tryon_picks_get(merchant=merchant, **named)
        try:
            job = tryon_job_create(
                merchant=merchant,
                **picks,
                seed=data.get("seed"),
                samples=data["samples"],
                preset=data.get("preset"),
                method=data["method"],
            )
        except DjangoValidationError as error:
            by_field = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            raise exceptions.ValidationError(
                {API_FIELDS.get(field, field): messages for field, messages in by_field.items()}
            ) from None
        if person is not None:  # in use: the idle sweep must not take it while the plugin still tries on with it
            shopper_model_touch(fashion_model=person)
        location = job_link({"request": request}, job, "detail")
        done = getattr(job, "reused", False) and job.is_finished
        return Response(
            tryon_job_data(job, request=request, new=getattr(job, "reused", None) is False),  # made here: no images yet
            status=status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class TryOnListApi(ScopedListApi):
    serializer_class = TryOnOutput

    @extend_schema(parameters=[TryOnListFilter], summary="List try-ons, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = validated(TryOnListFilter, self.request.query_params)
        jobs = tryon_job_list(
            merchant=self.merchant,
            status=filters.get("status"),
            catalog_item_id=filters.get("catalog_item"),
            created_after=filters.get("created_after"),
        )
        return jobs_visible_to(self.request, jobs)


class TryOnDetailApi(APIView):
    throttle_scope = "read"

    @extend_schema(responses=TryOnOutput, summary="Poll a try-on")
    def get(self, request, id):
        return Response(tryon_job_data(tryon_job_of(request, id), request=request))


class TryOnCancelApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=None,
        responses=TryOnOutput,
        summary="Cancel a try-on",
        description="A queued try-on is cancelled at once; a running one stops at its next step "
        "(`cancel_requested` is true until then). A succeeded or failed one answers 409.",
    )
    def post(self, request, id):
        tryon_job_of(request, id)  # another merchant's (or key's shopper-photo) job is not found, not cancelled
        tryon_job_cancel(job_id=id)
        return Response(tryon_job_data(tryon_job_of(request, id), request=request))
