import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """The outbox of job events: job_finished is written with the job's new state (tryon/jobs/outbox.py)."""

    dependencies = [
        ("jobs", "0008_pick_counts_precompute_batches"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("job_finished", "Job finished")], max_length=40)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "dispatched_at",
                    models.DateTimeField(blank=True, help_text="When its listeners were told", null=True),
                ),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="jobs.tryonjob"
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("dispatched_at__isnull", True)),
                        fields=["created_at"],
                        name="job_event_undispatched",
                    )
                ],
            },
        ),
    ]
