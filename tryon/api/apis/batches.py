"""Batches: a merchant's catalog items × fashion models × poses × scenes, one try-on each."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tryon.api.apis.base import ScopedDetailApi, ScopedListApi, validated
from tryon.api.auth import merchant_of
from tryon.api.idempotency import idempotent
from tryon.api.selectors import batch_list, batch_picks_get
from tryon.api.serializers import BatchCreateInput, BatchOutput
from tryon.jobs.batches import tryon_batch_create

# The service's field names, as this API names them.
API_FIELDS = {
    "catalog_items": "catalog_item_ids",
    "fashion_models": "fashion_model_ids",
    "poses": "pose_ids",
    "scenes": "scene_ids",
}


class BatchCreateApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=BatchCreateInput,
        responses={202: BatchOutput},
        summary="Render every combination of picks",
        description="One try-on per catalog item × fashion model × pose × scene, queued behind shoppers' "
        "requests. The images land in each catalog item's gallery awaiting approval.",
    )
    @idempotent
    def post(self, request):
        data = validated(BatchCreateInput, request.data)
        merchant = merchant_of(request)
        picks = batch_picks_get(merchant=merchant, **{name: data[name] for name in API_FIELDS.values()})
        try:
            batch = tryon_batch_create(merchant=merchant, **picks, preset=data.get("preset"), samples=data["samples"])
        except DjangoValidationError as error:
            raise exceptions.ValidationError(
                {API_FIELDS.get(field, field): messages for field, messages in error.message_dict.items()}
            ) from None
        location = request.build_absolute_uri(reverse("api:batch-detail", kwargs={"id": batch.id}))
        return Response(BatchOutput(batch).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class BatchListApi(ScopedListApi):
    selector = batch_list
    serializer_class = BatchOutput

    @extend_schema(summary="List batches, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BatchDetailApi(ScopedDetailApi):
    selector = batch_list
    serializer_class = BatchOutput

    @extend_schema(summary="A batch and its progress")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
