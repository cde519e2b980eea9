from django.db import migrations, models


class Migration(migrations.Migration):
    """Jobs always end: workers' heartbeats (which presets are served), the sweeper's lease and last run,
    and how often a queued job's task was sent again (tryon.jobs.heartbeats, tryon.jobs.sweeper)."""

    dependencies = [
        ("jobs", "0004_claim_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="SweeperState",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50, unique=True)),
                ("holder", models.CharField(blank=True, max_length=255)),
                ("locked_until", models.DateTimeField(blank=True, null=True)),
                (
                    "last_run_at",
                    models.DateTimeField(blank=True, help_text="When a sweep last finished", null=True),
                ),
                ("last_run_by", models.CharField(blank=True, max_length=255)),
            ],
        ),
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "hostname",
                    models.CharField(help_text="Celery node name, e.g. gpu0@host", max_length=255, unique=True),
                ),
                ("presets", models.JSONField(default=list, help_text="The presets whose queues it consumes")),
                ("queues", models.JSONField(default=list)),
                ("pid", models.PositiveIntegerField(default=0)),
                ("started_at", models.DateTimeField()),
                ("seen_at", models.DateTimeField(db_index=True)),
            ],
            options={"ordering": ["-seen_at"]},
        ),
        migrations.AddField(
            model_name="tryonjob",
            name="resends",
            field=models.PositiveSmallIntegerField(default=0, help_text="Times the sweeper sent its task again"),
        ),
    ]
