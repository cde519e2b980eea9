"""The webhook models move here from the API app, rows and all: only Django's idea of who owns the tables
changes (the tables are renamed in 0002). Paired with api 0003, which forgets them there."""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MOVED = ["webhookendpoint", "webhookdelivery"]


def move_content_types(apps, schema_editor, source="api", target="webhooks"):
    # Permissions and admin log entries point at content types: move them rather than orphan them.
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="webhooks", target="api")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("api", "0002_webhook_endpoint_breaker"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("jobs", "0001_initial"),
        ("merchants", "0001_initial"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="WebhookEndpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("url", models.URLField(max_length=500)),
                ("secret", models.CharField(max_length=200)),
                ("events", models.JSONField(default=list, help_text="Event types sent to this endpoint")),
                ("description", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("failures_in_a_row", models.PositiveIntegerField(default=0)),
                ("paused_until", models.DateTimeField(blank=True, null=True)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="merchants.merchant"
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-id"], "db_table": "api_webhookendpoint"},
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "event",
                    models.CharField(
                        choices=[
                            ("tryon.succeeded", "Try-on succeeded"),
                            ("tryon.failed", "Try-on failed"),
                            ("tryon.cancelled", "Try-on cancelled"),
                        ],
                        max_length=40,
                    ),
                ),
                (
                    "event_id",
                    models.UUIDField(default=uuid.uuid4, help_text="Same for every endpoint that gets this event"),
                ),
                ("body", models.TextField(help_text="The exact JSON sent, so every attempt signs the same bytes")),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("succeeded", "Succeeded"), ("failed", "Failed")],
                        default="pending",
                        max_length=20,
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("response_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                ("next_retry_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                (
                    "job",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="jobs.tryonjob",
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="merchants.merchant"
                    ),
                ),
                (
                    "endpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="webhooks.webhookendpoint",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-created_at", "-id"],
                "db_table": "api_webhookdelivery",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("endpoint", "job", "event"), name="webhook_delivery_once_per_job_event"
                    )
                ],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
