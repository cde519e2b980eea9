"""OpenAPI: every operation documents the shared error format, Idempotency-Key where it applies,
and the per-method API classes behind `routing.by_method` URLs."""

from drf_spectacular import generators, openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

IDEMPOTENCY_HEADER = "Idempotency-Key"


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="validation_error, parse_error, unauthenticated, permission_denied, not_found, method_not_allowed, "
        "unsupported_media_type, conflict, idempotency_key_reused, idempotency_request_in_progress, throttled, "
        "server_error"
    )
    message = serializers.CharField(help_text="For people: what went wrong, and often what to do.")
    field = serializers.CharField(required=False, help_text="The request field to blame, when there is one.")
    details = serializers.DictField(
        required=False, help_text="Validation messages by field; `retry_after` seconds when throttled."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "Invalid input (validation_error, parse_error).",
    "401": "No API key, or an invalid or revoked one (unauthenticated).",
    "403": "Signed in, but for no merchant (permission_denied).",
    "404": "Nothing with this id belongs to your merchant (not_found).",
    "409": "The request conflicts with the resource's state or with a request in flight (conflict).",
    "415": "Send JSON (unsupported_media_type).",
    "422": "This Idempotency-Key was used with a different request (idempotency_key_reused).",
    "429": "Too many requests for this key (throttled); see Retry-After.",
}


class AutoSchema(openapi.AutoSchema):
    def _is_idempotent(self) -> bool:
        return getattr(getattr(self.view, self.method.lower(), None), "idempotent", False)

    def _error_statuses(self) -> list[str]:
        statuses = ["401", "403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH"):  # the methods with a body to refuse
            statuses += ["400", "409", "415"]
            if self._is_idempotent():
                statuses.append("422")
        elif self.method == "GET" and self._is_list_view():
            statuses.append("400")
        return sorted(statuses)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                response = self._get_response_for_code(ErrorSerializer, status, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[status]
                if status == "429":
                    response["headers"] = {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                    }
                responses[status] = response
        return responses

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_idempotent():
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    description="Any unique string up to 255 characters. The same key with the same body within "
                    "24 hours replays the first response; with a different body it answers 422.",
                )
            )
        return parameters


class EndpointEnumerator(generators.EndpointEnumerator):
    """Lists each method of a `by_method` URL with the API class that answers it."""

    def get_allowed_methods(self, callback):
        if views := getattr(callback, "views", None):
            return list(views)
        return super().get_allowed_methods(callback)

    def get_api_endpoints(self, *args, **kwargs):
        # Only /api/: the compatibility APIs (/v1/ FASHN, /sdapi/) keep their clients' errors and document themselves.
        return [endpoint for endpoint in super().get_api_endpoints(*args, **kwargs) if endpoint[0].startswith("/api/")]

    def _get_api_endpoints(self, patterns, prefix):
        return [
            (path, regex, method, getattr(callback, "views", {}).get(method, callback))
            for path, regex, method, callback in super()._get_api_endpoints(patterns, prefix)
        ]


class SchemaGenerator(generators.SchemaGenerator):
    endpoint_inspector_cls = EndpointEnumerator
