"""The A1111-compatible API is documented in OpenAPI of its own, and the storefront API's schema stays its own."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "/sdapi/v1/txt2img": {"post"},
    "/sdapi/v1/img2img": {"post"},
    "/sdapi/v1/sd-models": {"get"},
    "/sdapi/v1/samplers": {"get"},
    "/sdapi/v1/schedulers": {"get"},
    "/sdapi/v1/options": {"get", "post"},
    "/sdapi/v1/progress": {"get"},
    "/sdapi/v1/interrupt": {"post"},
    "/sdapi/v1/scripts": {"get"},
    "/controlnet/model_list": {"get"},
    "/controlnet/module_list": {"get"},
    "/controlnet/version": {"get"},
}


def test_the_a1111_schema_lists_every_operation_with_basic_and_bearer_auth():
    schema = APIClient().get("/sdapi/schema/?format=json").json()

    assert {path: set(methods) for path, methods in schema["paths"].items()} == OPERATIONS
    assert schema["components"]["securitySchemes"]["basicStorefrontKey"]["scheme"] == "basic"
    txt2img = schema["paths"]["/sdapi/v1/txt2img"]["post"]
    assert {"basicStorefrontKey": []} in txt2img["security"] and {"storefrontKey": []} in txt2img["security"]
    assert set(txt2img["responses"]) == {"200", "401", "422"}
    body = schema["components"]["schemas"]["Txt2ImgInputRequest"]["properties"]
    assert {"prompt", "seed", "steps", "cfg_scale", "sampler_name", "scheduler", "alwayson_scripts"} <= set(body)


def test_the_storefront_api_schema_leaves_the_a1111_paths_out():
    paths = APIClient().get("/api/schema/?format=json").json()["paths"]

    assert paths and not [path for path in paths if path.startswith(("/sdapi/", "/controlnet/"))]


def test_the_a1111_docs_page_loads():
    assert APIClient().get("/sdapi/docs/").status_code == 200
