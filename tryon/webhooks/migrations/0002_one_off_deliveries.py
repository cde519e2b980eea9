import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The moved tables take this app's names; deliveries may go to a one-off URL (no endpoint), signed with
    the merchant's signing secret, and a job's event goes to such a URL once."""

    dependencies = [
        ("merchants", "0001_initial"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="webhookendpoint", table=None),
        migrations.AlterModelTable(name="webhookdelivery", table=None),
        migrations.CreateModel(
            name="WebhookSigningSecret",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("secret", models.CharField(max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "merchant",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="merchants.merchant"
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="secret",
            field=models.CharField(blank=True, help_text="A one-off delivery's signing secret", max_length=200),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="url",
            field=models.URLField(blank=True, help_text="A one-off delivery's destination", max_length=2000),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="endpoint",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="webhooks.webhookendpoint",
            ),
        ),
        migrations.AlterField(model_name="webhookdelivery", name="event", field=models.CharField(max_length=60)),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("endpoint__isnull", True), ("job__isnull", False)),
                fields=("merchant", "url", "job", "event"),
                name="webhook_send_once_per_job_event",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("endpoint__isnull", False), models.Q(("url", ""), _negated=True), _connector="OR"),
                name="webhook_delivery_has_a_destination",
            ),
        ),
    ]
