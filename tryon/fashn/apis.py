"""`POST /v1/run` and `GET /v1/status/{id}`, as the FASHN API answers them (its `fashn` SDK works unmodified)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from tryon.api.auth import IsMerchantClient, StorefrontKeyAuthentication, merchant_of
from tryon.fashn import errors
from tryon.fashn.errors import FashnError, validation_error
from tryon.fashn.inputs import INPUTS, ApiError, RunInput, RunOutput, RunQuery, StatusOutput
from tryon.fashn.parsers import BoundedJSONParser
from tryon.fashn.selectors import prediction_get, prediction_status
from tryon.fashn.services import prediction_create

ERRORS = {
    400: OpenApiResponse(ApiError, description="Invalid input; the message starts with the input to blame."),
    401: OpenApiResponse(ApiError, description="No key, or an invalid or revoked one (UnauthorizedAccess)."),
    404: OpenApiResponse(ApiError, description="No such prediction for this key's merchant (NotFound)."),
    413: OpenApiResponse(ApiError, description="The body is over TRYON_FASHN_MAX_BODY_BYTES (BadRequest)."),
    429: OpenApiResponse(ApiError, description="Too many requests for this key (RateLimitExceeded)."),
}


class FashnApi(APIView):
    # Bearer storefront keys only (no admin sessions), and errors in FASHN's shape, not /api/v1's.
    authentication_classes = [StorefrontKeyAuthentication]
    permission_classes = [IsMerchantClient]
    schema = AutoSchema()  # drf-spectacular's own: /api/v1's adds its error format to every operation

    def get_exception_handler(self):
        return errors.exception_handler


def _validated(serializer_class, data, *, prefix: str = "") -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise validation_error(serializer.errors, prefix=prefix)
    return dict(serializer.validated_data)


class RunApi(FashnApi):
    throttle_scope = "write"
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="fashn_run",
        tags=["FASHN-compatible"],
        request=RunInput,
        parameters=[RunQuery],
        responses={200: RunOutput, **{code: ERRORS[code] for code in (400, 401, 413, 429)}},
        summary="Start a prediction",
        description="`model_name` tryon-v1.6 (tryon-v1.5 alike) with `inputs` as TryOnInputs, or product-to-model "
        "with ProductToModelInputs. A body without `model_name` is the legacy flat form: the inputs of tryon-v1.6. "
        "Photos are checked at once (a refused one answers 400 naming it); poll `/v1/status/{id}`.",
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise FashnError("BadRequest", "The body must be a JSON object.")
        if "model_name" not in body and "inputs" not in body:
            body = {"model_name": "tryon-v1.6", "inputs": body}  # the legacy flat body
        run = _validated(RunInput, body)
        inputs = _validated(INPUTS[run["model_name"]], run["inputs"], prefix="inputs")
        query = _validated(RunQuery, request.query_params)
        prediction = prediction_create(
            merchant=merchant_of(request),
            model_name=run["model_name"],
            inputs=inputs,
            webhook_url=query.get("webhook_url", ""),
        )
        return Response({"id": str(prediction.id), "error": None}, status=status.HTTP_200_OK)


class StatusApi(FashnApi):
    throttle_scope = "read"

    @extend_schema(
        operation_id="fashn_status",
        tags=["FASHN-compatible"],
        parameters=[OpenApiParameter("id", str, OpenApiParameter.PATH, description="The id /v1/run answered.")],
        responses={200: StatusOutput, **{code: ERRORS[code] for code in (401, 404, 429)}},
        summary="Poll a prediction",
        description="status: starting, in_queue, processing, completed (output: the images' URLs, signed and "
        "expiring, or data URIs with return_base64), failed (error: {name, message}) or canceled.",
    )
    def get(self, request, id):
        prediction = prediction_get(merchant=merchant_of(request), prediction_id=id)
        return Response(prediction_status(prediction, request=request))
