from django.db import migrations


class Migration(migrations.Migration):
    """The webhook models now belong to the webhooks app (webhooks 0001 took them over, rows and all):
    forget them here without touching their tables."""

    dependencies = [
        ("api", "0002_webhook_endpoint_breaker"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEndpoint"),
            ],
            database_operations=[],
        ),
    ]
