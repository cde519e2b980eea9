"""Who is calling /sdapi/v1: A1111 clients send HTTP Basic (`--api-auth user:password`), others a bearer key.

With Basic, the password is the storefront key and the user name is free (the key's prefix is a good
choice), so `webuiapi`'s `set_auth(user, key)` works unchanged. There is no anonymous access.
"""

import base64
import binascii

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tryon.api.auth import StorefrontKeyAuthentication, storefront_client_for


class BasicStorefrontKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Basic base64(<anything>:<storefront key>)`."""

    def authenticate(self, request):
        scheme, _, credentials = authentication.get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return None  # a bearer key, tried next
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Invalid basic credentials: not base64 of user:password.") from None
        _user, colon, password = decoded.partition(":")
        if not colon:
            raise exceptions.AuthenticationFailed("Invalid basic credentials: expected user:password.")
        return storefront_client_for(password, unknown="Incorrect username or password")

    def authenticate_header(self, request):
        return 'Basic realm="sdapi"'


AUTHENTICATION = [BasicStorefrontKeyAuthentication, StorefrontKeyAuthentication]


class BasicStorefrontKeyScheme(OpenApiAuthenticationExtension):
    target_class = BasicStorefrontKeyAuthentication
    name = "basicStorefrontKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "A1111's `--api-auth`: any user name (the key's prefix, say), the key as password.",
        }
