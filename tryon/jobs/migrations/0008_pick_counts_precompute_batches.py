import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_garment_cutout"),
        ("jobs", "0007_failure_code"),
        ("merchants", "0003_merchant_quality_thresholds"),
    ]

    operations = [
        migrations.AddField(
            model_name="tryonbatch",
            name="source",
            field=models.CharField(
                choices=[("merchant", "Merchant's bulk render"), ("precompute", "Precomputed picks")],
                default="merchant",
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="PickCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("count", models.PositiveIntegerField(default=0)),
                (
                    "catalog_item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.catalogitem"
                    ),
                ),
                (
                    "fashion_model",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.fashionmodel"
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="merchants.merchant"
                    ),
                ),
                (
                    "pose",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.pose"),
                ),
                (
                    "scene",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.scene"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["merchant", "-count"], name="pick_count_most_picked")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("catalog_item", "fashion_model", "pose", "scene"), name="pick_count_one_per_combination"
                    )
                ],
            },
        ),
    ]
