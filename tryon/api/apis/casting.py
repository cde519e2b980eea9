"""Casting: generate fashion models with a stable identity, watch the candidates arrive, keep the ones you like."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tryon.api.apis.base import validated
from tryon.api.auth import merchant_of
from tryon.api.casting_serializers import ATTRIBUTES, CastingCreateInput, CastingKeepInput, CastingOutput
from tryon.api.errors import ApiError
from tryon.api.idempotency import idempotent
from tryon.api.serializers import FashionModelOutput
from tryon.casting.selectors import casting_candidate_get, casting_get
from tryon.casting.services import CastingStateError, casting_candidate_keep, casting_create


def _field_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    by_field = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    return exceptions.ValidationError(by_field)


class CastingCreateApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=CastingCreateInput,
        responses={202: CastingOutput},
        summary="Cast new fashion models",
        description="Queues `count` candidates who fit the attributes, each a different person: a head-and-shoulders "
        "portrait is rendered first, then a neutral full-body reference conditioned on it. Poll `Location` (the "
        "casting) until the candidates are `ready`, then keep the ones you want with "
        "`POST /api/v1/fashion-models/{candidate id}/keep`.",
    )
    @idempotent
    def post(self, request):
        data = validated(CastingCreateInput, request.data)
        try:
            casting = casting_create(
                merchant=merchant_of(request),
                attributes={name: data[name] for name in ATTRIBUTES if name in data},
                count=data["count"],
                preset=data.get("preset"),
            )
        except DjangoValidationError as error:
            raise _field_errors(error) from None
        location = request.build_absolute_uri(reverse("api:casting-detail", kwargs={"id": casting.id}))
        casting = casting_get(merchant=casting.merchant, casting_id=casting.id)
        return Response(
            CastingOutput(casting, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class CastingDetailApi(APIView):
    throttle_scope = "read"

    @extend_schema(responses=CastingOutput, summary="Poll a casting and its candidates")
    def get(self, request, id):
        casting = casting_get(merchant=merchant_of(request), casting_id=id)
        return Response(CastingOutput(casting, context={"request": request}).data)


class CastingCandidateKeepApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=CastingKeepInput,
        responses={201: FashionModelOutput},
        summary="Keep a cast candidate as a fashion model",
        description="`id` is the candidate's id (from the casting's `candidates`). The new fashion model keeps the "
        "candidate's portrait and full-body reference, seed and words: every render of it shows the same person. "
        "A candidate is kept once: keeping it again, or before both its images are there, answers 409.",
    )
    @idempotent
    def post(self, request, id):
        merchant = merchant_of(request)
        candidate = casting_candidate_get(merchant=merchant, candidate_id=id)  # another merchant's: 404
        data = validated(CastingKeepInput, request.data)
        try:
            fashion_model = casting_candidate_keep(candidate=candidate, name=data["name"])
        except DjangoValidationError as error:
            raise _field_errors(error) from None
        except CastingStateError as error:
            raise ApiError(status.HTTP_409_CONFLICT, "conflict", str(error)) from None
        location = request.build_absolute_uri(reverse("api:fashion-model-detail", kwargs={"id": fashion_model.id}))
        return Response(
            FashionModelOutput(fashion_model, context={"request": request, "merchant": merchant}).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )
