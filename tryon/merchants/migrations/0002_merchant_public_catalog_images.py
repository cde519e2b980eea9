from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="public_catalog_images",
            field=models.BooleanField(
                default=False,
                help_text="Approved catalog images get long-lived links that storefronts may cache and share; "
                "everything else (renders awaiting review, model photos) always gets short-lived signed links.",
            ),
        ),
    ]
