"""Shopper models ("someone like me"): a storefront's shoppers, described or photographed, to try garments on.

Each belongs to the key (or staff member) that made it: another key, even of the same shop, finds nothing.
"""

import uuid

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from tryon.api.apis.base import validated
from tryon.api.auth import merchant_of
from tryon.api.models import StorefrontKey
from tryon.api.parsers import JSONParser
from tryon.api.selectors import PickNotFound, fashion_model_list, pose_list
from tryon.api.shopper_serializers import (
    ShopperModelCreateInput,
    ShopperModelOutput,
    ShopperModelUpdateInput,
    ShopperPhotoInput,
)
from tryon.jobs.models import TryOnJob
from tryon.shoppers.selectors import shopper_model_get, shopper_model_get_by_id, shopper_model_list
from tryon.shoppers.services import (
    shopper_model_delete,
    shopper_model_set,
    shopper_model_update,
    shopper_photo_delete,
    shopper_photo_upload,
)


def owner_prefix(request) -> str:
    """Whose shopper models these are: the storefront key's, or the signed-in staff member's."""
    if isinstance(request.auth, StorefrontKey):
        return f"key:{request.auth.pk}:"
    return f"staff:{request.user.pk}:"


def shopper_model_of(request, id: int, *, field: str | None = None):
    """The caller's shopper model `id`; 404 (naming `field`, for an id in a body) for anyone else's."""
    found = shopper_model_get_by_id(
        merchant=merchant_of(request), owner_prefix=owner_prefix(request), shopper_model_id=id
    )
    if found is None:  # the same answer for "no such id", another key's and another merchant's: nothing leaks
        if field:
            raise PickNotFound(field, f"No shopper model with id {id}.")
        raise exceptions.NotFound(f"No shopper model with id {id}.")
    return found


def jobs_visible_to(request, jobs: QuerySet[TryOnJob]) -> QuerySet[TryOnJob]:
    """Renders of a shopper's own photo are seen only by the key that made the shopper model; the rest by all."""
    mine = shopper_model_list(merchant=merchant_of(request), owner_prefix=owner_prefix(request))
    return jobs.filter(
        Q(fashion_model__isnull=True)
        | Q(fashion_model__private=False)
        | Q(fashion_model_id__in=mine.values("fashion_model_id"))
    )


def tryon_job_of(request, id: int) -> TryOnJob:
    """The caller's try-on `id` (tryon.jobs.selectors.tryon_job_get, less other keys' shopper-photo renders)."""
    jobs = jobs_visible_to(request, TryOnJob.objects.filter(merchant=merchant_of(request)))
    return get_object_or_404(jobs.prefetch_related("images"), pk=id)


def _like(request, data: dict):
    if "like" not in data:
        return None
    found = fashion_model_list(merchant=merchant_of(request)).filter(pk=data["like"]).first()
    if found is None:
        raise PickNotFound("like", f"No fashion model with id {data['like']}.")
    return found


def _output(request, shopper_model, code=status.HTTP_200_OK, **headers) -> Response:
    return Response(ShopperModelOutput(shopper_model, context={"request": request}).data, status=code, headers=headers)


class ShopperModelCreateApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=ShopperModelCreateInput,
        responses={201: ShopperModelOutput, 200: ShopperModelOutput},
        summary="Describe a shopper (someone like me)",
        description="Attributes, or `like` (the closest of the shop's fashion models) and any attributes that "
        "differ. Use its id as `shopper_model_id` in POST /api/v1/tryons. 200 when `client_ref` names an existing "
        "shopper model, which is changed.",
    )
    def post(self, request):
        data = validated(ShopperModelCreateInput, request.data)
        merchant, like = merchant_of(request), _like(request, data)
        owner = owner_prefix(request) + (data.pop("client_ref", None) or uuid.uuid4().hex)
        existed = shopper_model_get(merchant=merchant, owner=owner) is not None
        data.pop("like", None)
        shopper_model = shopper_model_set(merchant=merchant, owner=owner, like=like, **data)
        location = request.build_absolute_uri(reverse("api:shopper-model-detail", kwargs={"id": shopper_model.id}))
        return _output(
            request, shopper_model, status.HTTP_200_OK if existed else status.HTTP_201_CREATED, Location=location
        )


class ShopperModelDetailApi(APIView):
    throttle_scope = "read"

    @extend_schema(responses=ShopperModelOutput, summary="Read a shopper model")
    def get(self, request, id):
        return _output(request, shopper_model_of(request, id))


class ShopperModelUpdateApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=ShopperModelUpdateInput,
        responses=ShopperModelOutput,
        summary="Change a shopper model's attributes",
        description="Attributes left out stay as they are (PUT and PATCH alike); `like` copies a fashion model's.",
    )
    def put(self, request, id):
        shopper_model = shopper_model_of(request, id)
        data = validated(ShopperModelUpdateInput, request.data)
        like = _like(request, data)
        data.pop("like", None)
        return _output(request, shopper_model_update(shopper_model=shopper_model, like=like, **data))

    @extend_schema(request=ShopperModelUpdateInput, responses=ShopperModelOutput, summary="Change some attributes")
    def patch(self, request, id):
        return self.put(request, id)


class ShopperModelDeleteApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Delete a shopper model",
        description="With its photo and everything rendered for it.",
    )
    def delete(self, request, id):
        shopper_model_delete(shopper_model=shopper_model_of(request, id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShopperPhotoUploadApi(APIView):
    throttle_scope = "write"
    parser_classes = [parsers.MultiPartParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": ShopperPhotoInput, "application/json": ShopperPhotoInput},
        responses=ShopperModelOutput,
        summary="Upload the shopper's own photo, with their consent",
        description="Only where the shop offers own photos, and only with `consent` true (400 otherwise, and nothing "
        "is stored). The photo and every render made from it are deleted at `photo_expires_at`, or at once by "
        "DELETE .../photo; its renders are never served to anyone else nor added to the shop's gallery.",
    )
    def post(self, request, id):
        shopper_model = shopper_model_of(request, id)
        data = validated(ShopperPhotoInput, request.data)
        pose = None
        if "pose_id" in data:
            pose = pose_list(merchant=merchant_of(request)).filter(pk=data["pose_id"]).first()
            if pose is None:
                raise PickNotFound("pose_id", f"No pose with id {data['pose_id']}.")
        shopper_model = shopper_photo_upload(
            shopper_model=shopper_model, photo=data["photo"], consent=data["consent"], pose=pose
        )
        return _output(request, shopper_model)


class ShopperPhotoDeleteApi(APIView):
    throttle_scope = "write"

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Delete the shopper's photo",
        description="The photo and every render made from it, now; the attributes stay.",
    )
    def delete(self, request, id):
        shopper_photo_delete(shopper_model=shopper_model_of(request, id))
        return Response(status=status.HTTP_204_NO_CONTENT)
