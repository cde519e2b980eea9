from django.contrib import admin

from tryon.merchants.admin import OperatorsOnly
from tryon.webhooks.models import WebhookSigningSecret


@admin.register(WebhookSigningSecret)
class WebhookSigningSecretAdmin(OperatorsOnly, admin.ModelAdmin):
    """Read only, so an operator can tell a merchant the secret that verifies its `webhook_url` deliveries;
    it is made on first use and replaced through the API (POST /api/v1/webhooks/signing-secret/rotate)."""

    list_display = ["merchant", "created_at"]
    readonly_fields = ["merchant", "secret", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
