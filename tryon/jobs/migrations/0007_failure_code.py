from django.db import migrations, models


def cancelled_jobs_say_so(apps, schema_editor):
    # Older failed jobs keep a blank code: their cause is only in their message, which nobody parses.
    apps.get_model("jobs", "TryOnJob").objects.filter(status="cancelled").update(failure_code="cancelled")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0006_drafts_persons_scores"),
    ]

    operations = [
        migrations.AddField(
            model_name="tryonjob",
            name="failure_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("out_of_memory", "Out of memory"),
                    ("weights_missing", "Model weights missing"),
                    ("cancelled", "Cancelled"),
                    ("timed_out", "Timed out"),
                    ("invalid_input", "Invalid input"),
                    ("unserved_preset", "No worker serves its preset"),
                    ("worker_lost", "Worker lost"),
                    ("content_moderation", "Content moderation"),
                    ("internal", "Internal error"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(cancelled_jobs_say_so, migrations.RunPython.noop),
    ]
