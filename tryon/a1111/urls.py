"""Where A1111 clients look: /sdapi/v1/... and the ControlNet extension's /controlnet/...."""

from django.urls import path

from tryon.a1111 import apis, schema

app_name = "a1111"

urlpatterns = [
    path("sdapi/v1/txt2img", apis.Txt2ImgApi.as_view(), name="txt2img"),
    path("sdapi/v1/img2img", apis.Img2ImgApi.as_view(), name="img2img"),
    path("sdapi/v1/sd-models", apis.SdModelsApi.as_view(), name="sd-models"),
    path("sdapi/v1/samplers", apis.SamplersApi.as_view(), name="samplers"),
    path("sdapi/v1/schedulers", apis.SchedulersApi.as_view(), name="schedulers"),
    path("sdapi/v1/options", apis.OptionsApi.as_view(), name="options"),
    path("sdapi/v1/progress", apis.ProgressApi.as_view(), name="progress"),
    path("sdapi/v1/interrupt", apis.InterruptApi.as_view(), name="interrupt"),
    path("sdapi/v1/scripts", apis.ScriptsApi.as_view(), name="scripts"),
    path("controlnet/model_list", apis.ControlNetModelListApi.as_view(), name="controlnet-model-list"),
    path("controlnet/module_list", apis.ControlNetModuleListApi.as_view(), name="controlnet-module-list"),
    path("controlnet/version", apis.ControlNetVersionApi.as_view(), name="controlnet-version"),
    path("sdapi/schema/", schema.A1111SchemaView.as_view(), name="schema"),
    path("sdapi/docs/", schema.A1111DocsView.as_view(), name="docs"),
]
