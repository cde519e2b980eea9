"""Who is calling: a storefront with a bearer key, or merchant staff signed in to the admin."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from tryon.api.models import StorefrontKey
from tryon.api.selectors import storefront_key_for
from tryon.api.services import storefront_key_mark_used
from tryon.merchants.models import Merchant


class StorefrontClient:
    """request.user for a key: no person, only the storefront the key was made for."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __init__(self, key: StorefrontKey):
        self.key = key
        self.merchant = key.merchant

    def __str__(self):
        return str(self.key)


def storefront_client_for(raw_key: str, *, unknown: str) -> tuple[StorefrontClient, StorefrontKey]:
    """DRF's (user, auth) for a presented key; `unknown` is the refusal for a key that matches none."""
    key = storefront_key_for(raw_key.strip())
    if key is None:
        raise exceptions.AuthenticationFailed(unknown)
    if key.is_revoked:
        raise exceptions.AuthenticationFailed("This API key has been revoked.")
    storefront_key_mark_used(key=key)
    return StorefrontClient(key), key


class StorefrontKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer tryon_sk_<prefix>_<secret>`."""

    keyword = "Bearer"

    def authenticate(self, request):
        scheme, _, token = authentication.get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None  # not ours: session auth may still apply
        return storefront_client_for(token, unknown="Invalid API key.")

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


def merchant_of(request) -> Merchant | None:
    """The merchant whose data this request may see: the key's, or the signed-in staff member's."""
    if isinstance(request.auth, StorefrontKey):
        return request.auth.merchant
    return getattr(request.user, "merchant", None)


class IsMerchantClient(permissions.BasePermission):
    message = "This account belongs to no merchant."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and merchant_of(request) is not None)


class StorefrontKeyScheme(OpenApiAuthenticationExtension):
    target_class = StorefrontKeyAuthentication
    name = "storefrontKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tryon_sk_<prefix>_<secret>",
            "description": "A storefront API key, made with `manage.py tryon_apikey create` and shown once.",
        }
