"""Mounted at /v1/ (tryon/urls.py): where the `fashn` SDK sends its requests when FASHN_BASE_URL is this server."""

from django.urls import path, re_path

from tryon.fashn import apis
from tryon.fashn.errors import not_found
from tryon.fashn.schema import schema_view

app_name = "fashn"
urlpatterns = [
    path("run", apis.RunApi.as_view(), name="run"),
    path("status/<str:id>", apis.StatusApi.as_view(), name="status"),
    path("openapi.json", schema_view, name="schema"),
    re_path(r"^", not_found),
]
