"""Input and output serializers, one pair per operation (names are unique: they become OpenAPI components).

Validation of shapes only; what the values mean is checked by selectors and services. Output
serializers mark every field read-only, so the schema says each one is always present. A job's output
lives with the jobs (tryon.jobs.public_data), since webhooks send it too; it is re-exported here.
"""

from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prompts import MAX_SAMPLES
from prompts.vocabulary import LIGHTINGS, TIMES_OF_DAY
from tryon.api.routing import MAX_ID
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.jobs.models import GeneratedImage, TryOnBatch, TryOnJob
from tryon.jobs.public_data import FileUrlField, TryOnOutput, absolute_url  # noqa: F401
from tryon.jobs.public_data import job_public_data as tryon_job_data  # noqa: F401
from tryon.media.signing import catalog_image_url, signed_url
from tryon.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


def ids_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- Catalog ---


@extend_schema_field(OpenApiTypes.URI)
class CatalogImageUrlField(serializers.Field):
    """An approved render: long-lived when its merchant publishes catalog images, else short-lived like the rest."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, image):
        if merchant := self.context.get("merchant"):
            return absolute_url(self.context, catalog_image_url(image, merchant=merchant))
        return absolute_url(self.context, signed_url(image.file))


class GalleryImageOutput(serializers.ModelSerializer):
    url = CatalogImageUrlField(help_text="Signed; expires. Fetch it again from the API rather than storing it.")

    class Meta:
        model = GeneratedImage
        fields = ["id", "url", "width", "height", "job_id", "created_at"]
        read_only_fields = fields


class CatalogItemOutput(serializers.ModelSerializer):
    garment_ids = serializers.PrimaryKeyRelatedField(source="garments", many=True, read_only=True)
    gallery = GalleryImageOutput(source="approved_images", many=True, read_only=True, help_text="Approved images")

    class Meta:
        model = CatalogItem
        fields = ["id", "sku", "title", "garment_ids", "gallery", "created_at"]
        read_only_fields = fields


class GarmentOutput(serializers.ModelSerializer):
    image_url = FileUrlField(source="image")

    class Meta:
        model = Garment
        fields = [
            "id", "name", "category", "colour", "material", "description",
            "image_url", "image_width", "image_height", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class FashionModelOutput(serializers.ModelSerializer):
    reference_photo_url = FileUrlField(source="reference_photo", allow_null=True)

    class Meta:
        model = FashionModel
        fields = [
            "id", "name", "gender_presentation", "age_range", "body_type", "skin_tone", "hair",
            "reference_photo_url", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


KEYPOINT_SCHEMA = {
    "type": "array",
    "description": "18 OpenPose keypoints, each [x, y, visible] with x and y from 0 to 1.",
    "items": {"type": "array", "items": {}, "minItems": 3, "maxItems": 3},
}


@extend_schema_field(KEYPOINT_SCHEMA)
class KeypointsField(serializers.JSONField):
    pass


class PoseOutput(serializers.ModelSerializer):
    keypoints = KeypointsField(read_only=True)

    class Meta:
        model = Pose
        fields = ["id", "name", "keypoints", "created_at"]
        read_only_fields = fields


class SceneOutput(serializers.ModelSerializer):
    picture_url = FileUrlField(source="picture", allow_null=True)
    # Plain text: empty when the merchant left it open, which an enum in the schema would not allow.
    lighting = serializers.CharField(read_only=True, help_text=f"One of {', '.join(LIGHTINGS)}; or empty.")
    time_of_day = serializers.CharField(read_only=True, help_text=f"One of {', '.join(TIMES_OF_DAY)}; or empty.")

    class Meta:
        model = Scene
        fields = [
            "id", "name", "prompt", "negative_prompt", "location", "lighting", "time_of_day", "picture_url",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


# --- Try-ons ---


class TryOnCreateInput(serializers.Serializer):
    garment_ids = serializers.ListField(
        child=ids_field(), min_length=1, max_length=8, required=False, help_text="Or give catalog_item_id."
    )
    catalog_item_id = ids_field(required=False, help_text="Its garments are used when garment_ids is absent.")
    fashion_model_id = ids_field(required=False, help_text="Required, unless shopper_model_id is given.")
    shopper_model_id = ids_field(
        required=False,
        help_text="Instead of fashion_model_id: one of this key's shopper models (/api/v1/shopper-models). Renders "
        "of a shopper's own photo are never served to anyone else.",
    )
    pose_id = ids_field()
    scene_id = ids_field()
    seed = serializers.IntegerField(
        min_value=0,
        max_value=2**32 - 1,
        required=False,
        help_text="Absent: derived from the picks, so the same picks give the same (already rendered) image.",
    )
    preset = serializers.CharField(max_length=50, required=False, help_text="Engine preset; the server's default.")
    samples = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SAMPLES,
        default=1,
        help_text="Images to render together; image i has seed + i (wrapping within 32 bits), so any one can be "
        "asked for again alone with samples 1.",
    )
    method = serializers.ChoiceField(
        choices=["warp", "text"],
        default="warp",
        help_text="warp: each garment's own photo, cut out and warped onto the person (shown at once as draft_url), "
        "then refined; text: the garments drawn from their descriptions.",
    )

    def to_internal_value(self, data):
        """One of fashion_model_id and shopper_model_id, reported with the other fields' errors as a required one."""
        missing = isinstance(data, Mapping) and "fashion_model_id" not in data and "shopper_model_id" not in data
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if missing and isinstance(error.detail, dict):
                raise serializers.ValidationError(
                    {"fashion_model_id": ["This field is required."], **error.detail}
                ) from None
            raise
        if missing:
            raise serializers.ValidationError({"fashion_model_id": ["This field is required."]})
        if "fashion_model_id" in value and "shopper_model_id" in value:
            raise serializers.ValidationError(
                {"shopper_model_id": ["Give fashion_model_id or shopper_model_id, not both."]}
            )
        return value


class TryOnListFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=TryOnJob.Status.choices, required=False)
    catalog_item = ids_field(required=False, help_text="Only try-ons of this catalog item.")
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601, e.g. 2026-01-31T12:00:00Z.")


# --- Webhooks ---


class WebhookEndpointCreateInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, max_length=10, required=False
    )
    secret = serializers.CharField(
        min_length=16, max_length=200, required=False, help_text="Your signing secret; one is generated if absent."
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointOutput(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "created_at"]
        read_only_fields = fields


class WebhookSigningSecretOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="Verifies the `Tryon-Signature` of deliveries to a `webhook_url`.")


class WebhookEndpointCreatedOutput(WebhookEndpointOutput):
    class Meta(WebhookEndpointOutput.Meta):
        fields = [*WebhookEndpointOutput.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookDeliveryOutput(serializers.ModelSerializer):
    event = serializers.ChoiceField(choices=WebhookEvent.choices)  # an endpoint's deliveries carry only these
    event_id = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event", "event_id", "job_id", "status", "attempts", "response_status", "last_error",
            "next_retry_at", "created_at", "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_event_id(self, delivery) -> str:
        return f"evt_{delivery.event_id.hex}"


class BatchCreateInput(serializers.Serializer):
    catalog_item_ids = serializers.ListField(child=ids_field(), min_length=1, max_length=100)
    fashion_model_ids = serializers.ListField(child=ids_field(), min_length=1, max_length=50)
    pose_ids = serializers.ListField(child=ids_field(), min_length=1, max_length=50)
    scene_ids = serializers.ListField(child=ids_field(), min_length=1, max_length=50)
    preset = serializers.CharField(max_length=50, required=False, help_text="Engine preset; the server's default.")
    samples = serializers.IntegerField(
        min_value=1, max_value=MAX_SAMPLES, default=1, help_text="Images per combination, to approve the best."
    )


class BatchProgressOutput(serializers.Serializer):
    total = serializers.IntegerField()
    finished = serializers.IntegerField()
    progress = serializers.FloatField(help_text="Finished jobs / all jobs, 0..1.")
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class BatchOutput(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    tryon_ids = serializers.SerializerMethodField(help_text="One try-on per combination; poll them or the batch.")

    class Meta:
        model = TryOnBatch
        fields = ["id", "preset", "created_at", "progress", "tryon_ids"]
        read_only_fields = fields

    @extend_schema_field(BatchProgressOutput)
    def get_progress(self, batch) -> dict:
        from tryon.jobs.batches import tryon_batch_progress

        return tryon_batch_progress(batch=batch)

    def get_tryon_ids(self, batch) -> list[int]:
        return sorted(batch.jobs.values_list("id", flat=True))
