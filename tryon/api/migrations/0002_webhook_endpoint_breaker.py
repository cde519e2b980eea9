from django.db import migrations, models


class Migration(migrations.Migration):
    """The webhook circuit breaker: an endpoint failing too often in a row is paused for a while."""

    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="failures_in_a_row",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="paused_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
