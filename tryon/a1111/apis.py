"""/sdapi/v1 and /controlnet: AUTOMATIC1111's web UI API, the subset its clients use, per storefront key."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from generation import get_preset
from tryon.a1111 import selectors, services
from tryon.a1111.auth import AUTHENTICATION
from tryon.a1111.errors import exception_handler
from tryon.a1111.parsers import BoundedJSONParser
from tryon.a1111.schema import A1111AutoSchema
from tryon.a1111.serializers import GenerationOutput, Img2ImgInput, OptionsInput, ProgressOutput, Txt2ImgInput
from tryon.api.apis.base import validated
from tryon.api.auth import IsMerchantClient

ERRORS = {
    401: OpenApiResponse(description='No or wrong credentials: {"error": "HTTPException", "detail": ...}'),
    422: OpenApiResponse(description='A field is invalid: {"detail": [{"loc": ["body", "steps"], "msg": ...}]}'),
}


def documented(**kwargs):
    """extend_schema over drf-spectacular's own AutoSchema: A1111's errors, not the storefront API's."""

    def decorator(method):
        method.schema = A1111AutoSchema
        return extend_schema(**kwargs)(method)

    return decorator


LIST = inline_serializer("A1111List", {"name": serializers.CharField()}, many=True)


class A1111Api(APIView):
    # A1111's own error shapes and auth (HTTP Basic with the key as password, or a bearer key)
    authentication_classes = AUTHENTICATION
    permission_classes = [IsMerchantClient]
    parser_classes = [BoundedJSONParser]
    throttle_scope = "read"
    schema = A1111AutoSchema()

    def get_exception_handler(self):
        return exception_handler

    @property
    def key(self):
        return self.request.auth


class Txt2ImgApi(A1111Api):
    throttle_scope = "write"

    @documented(
        request=Txt2ImgInput,
        responses={200: GenerationOutput, **ERRORS},
        summary="txt2img (A1111)",
        description="Renders on the workers and answers when done. ControlNet units go in "
        "`alwayson_scripts.ControlNet.args`; `override_settings.sd_model_checkpoint` picks the preset.",
    )
    def post(self, request):
        data = validated(Txt2ImgInput, request.data)
        return Response(services.a1111_generate(key=self.key, data=data, img2img=False))


class Img2ImgApi(A1111Api):
    throttle_scope = "write"

    @documented(
        request=Img2ImgInput,
        responses={200: GenerationOutput, **ERRORS},
        summary="img2img and inpainting (A1111)",
        description="`init_images` (one), `denoising_strength`; with `mask` only the white of the mask is repainted.",
    )
    def post(self, request):
        data = validated(Img2ImgInput, request.data)
        return Response(services.a1111_generate(key=self.key, data=data, img2img=True))


class SdModelsApi(A1111Api):
    @documented(responses=LIST, summary="Checkpoints: this server's presets")
    def get(self, request):
        return Response(selectors.sd_model_list())


class SamplersApi(A1111Api):
    @documented(responses=LIST, summary="Samplers, by A1111's names")
    def get(self, request):
        return Response(selectors.sampler_list())


class SchedulersApi(A1111Api):
    @documented(responses=LIST, summary="Noise schedules")
    def get(self, request):
        return Response(selectors.scheduler_list())


class OptionsApi(A1111Api):
    @documented(responses=OptionsInput, summary="Options; sd_model_checkpoint is this key's preset")
    def get(self, request):
        return Response(selectors.options_for(key=self.key))

    @documented(request=OptionsInput, responses={200: OpenApiResponse(description="true"), **ERRORS})
    def post(self, request):
        if not isinstance(request.data, dict):
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"__root__": ["Expected an object of options."]})
        services.a1111_options_set(key=self.key, options=request.data)
        return Response(True)


class ProgressApi(A1111Api):
    @documented(responses=ProgressOutput, summary="Progress of this key's renders")
    def get(self, request):
        return Response(selectors.progress_for(key=self.key))


class InterruptApi(A1111Api):
    throttle_scope = "write"

    @documented(request=None, responses={200: OpenApiResponse(description="{}")}, summary="Stop renders")
    def post(self, request):
        services.a1111_interrupt(key=self.key)
        return Response({})  # A1111's answer


class ScriptsApi(A1111Api):
    @documented(responses=inline_serializer("A1111Scripts", {"txt2img": serializers.ListField()}))
    def get(self, request):
        return Response({"txt2img": ["controlnet"], "img2img": ["controlnet"]})


class ControlNetModelListApi(A1111Api):
    @documented(responses=inline_serializer("ControlNetModels", {"model_list": serializers.ListField()}))
    def get(self, request):
        preset = get_preset(selectors.a1111_checkpoint(key=self.key))
        return Response({"model_list": selectors.controlnet_model_list(preset)})


class ControlNetModuleListApi(A1111Api):
    @documented(responses=inline_serializer("ControlNetModules", {"module_list": serializers.ListField()}))
    def get(self, request):
        return Response({"module_list": selectors.CONTROLNET_MODULES})


class ControlNetVersionApi(A1111Api):
    @documented(responses=inline_serializer("ControlNetVersion", {"version": serializers.IntegerField()}))
    def get(self, request):
        return Response({"version": selectors.CONTROLNET_VERSION})
