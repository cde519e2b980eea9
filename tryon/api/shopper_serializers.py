"""Input and output serializers of /api/v1/shopper-models, one pair per operation (tryon.api.apis.shopper_models).

Shapes only: the shopper_model services judge the values (vocabulary, height, consent, the photo itself).
"""

from django.core.files.base import ContentFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prompts.vocabulary import AGE_RANGES, BODY_TYPES, GENDER_PRESENTATIONS, SKIN_TONES
from tryon.api.serializers import ids_field
from tryon.remote_images import ImageInputError, image_bytes_from_data_uri
from tryon.shoppers.consent import consent_text
from tryon.shoppers.models import ShopperModel
from tryon.shoppers.services import HEIGHT_RANGE


class ShopperModelAttributesInput(serializers.Serializer):
    gender_presentation = serializers.ChoiceField(choices=GENDER_PRESENTATIONS, required=False)
    age_range = serializers.ChoiceField(choices=AGE_RANGES, required=False)
    body_type = serializers.ChoiceField(choices=BODY_TYPES, required=False)
    skin_tone = serializers.ChoiceField(choices=SKIN_TONES, required=False)
    hair = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="e.g. short grey hair")
    height_cm = serializers.IntegerField(min_value=HEIGHT_RANGE[0], max_value=HEIGHT_RANGE[1], required=False)
    like = ids_field(
        required=False,
        help_text="The id of the shop's fashion model closest to the shopper: its attributes are copied, and any "
        "given here win over them.",
    )


class ShopperModelCreateInput(ShopperModelAttributesInput):
    client_ref = serializers.RegexField(
        r"^[A-Za-z0-9._-]{1,80}$",
        required=False,
        help_text="Your own reference for the shopper (a session or customer id): one shopper model per reference, "
        "so posting it again changes that model (200) rather than making another (201). Never shown to the shop.",
    )


class ShopperModelUpdateInput(ShopperModelAttributesInput):
    pass


@extend_schema_field(OpenApiTypes.BINARY)
class PhotoField(serializers.Field):
    """A file (multipart/form-data) or a data URI (JSON, within the body limit)."""

    default_error_messages = {"invalid": "Send the photo as a file (multipart/form-data) or a data URI."}

    def to_internal_value(self, value):
        if hasattr(value, "read"):
            return value
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            return ContentFile(image_bytes_from_data_uri(value, field="photo"), name="photo")
        except ImageInputError as error:
            raise serializers.ValidationError(error.reason) from None


class ShopperPhotoInput(serializers.Serializer):
    photo = PhotoField(help_text="JPEG, PNG or WebP. Stored re-encoded, without EXIF or location.")
    consent = serializers.BooleanField(
        help_text=f"Must be true: the shopper agreed to this, shown to them before the upload. {consent_text()}"
    )
    pose_id = ids_field(
        required=False,
        help_text="The shop's pose the shopper stands in, for when no person can be detected in the photo.",
    )


class ShopperModelOutput(serializers.ModelSerializer):
    client_ref = serializers.SerializerMethodField()
    gender_presentation = serializers.CharField(source="fashion_model.gender_presentation", read_only=True)
    age_range = serializers.CharField(source="fashion_model.age_range", read_only=True)
    body_type = serializers.CharField(source="fashion_model.body_type", read_only=True)
    skin_tone = serializers.CharField(source="fashion_model.skin_tone", read_only=True)
    hair = serializers.CharField(source="fashion_model.hair", read_only=True)
    height_cm = serializers.IntegerField(source="fashion_model.height_cm", read_only=True, allow_null=True)
    like = serializers.IntegerField(source="like_id", read_only=True, allow_null=True)
    has_photo = serializers.BooleanField(read_only=True)
    photo_expires_at = serializers.DateTimeField(
        source="expires_at", read_only=True, allow_null=True, help_text="When the photo and its renders are deleted."
    )

    class Meta:
        model = ShopperModel
        fields = [
            "id", "client_ref", "gender_presentation", "age_range", "body_type", "skin_tone", "hair", "height_cm",
            "like", "has_photo", "consented_at", "consent_version", "photo_expires_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_client_ref(self, shopper_model) -> str:
        return shopper_model.owner.split(":", 2)[-1]
