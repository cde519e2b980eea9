"""The bodies of `POST /v1/run`, field for field as the FASHN API and its `fashn` SDK send them.

Shapes only; what the values mean (an image that loads, a saved model that exists) is the service's to judge.
Fields FASHN has that change nothing here are accepted and kept with the prediction, so a client written
against FASHN never fails on them (each is listed in the README).
"""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from prompts import MAX_SAMPLES
from tryon.fashn.models import Prediction

SEED = {"min_value": 0, "max_value": 2**32 - 1, "required": False}
MODES = ("performance", "balanced", "quality")
IMAGE_HELP = "An http(s) URL the server fetches, or a data URI (data:image/jpeg;base64,...)."


def image_field(**kwargs):
    # No length cap here: a data URI is as long as its photo; the body limit and the image rules bound it.
    return serializers.CharField(trim_whitespace=True, **{"help_text": IMAGE_HELP, **kwargs})


class RunQuery(serializers.Serializer):
    webhook_url = serializers.URLField(
        max_length=2000, required=False, help_text="Sent the status object (signed) when the prediction ends."
    )


class CommonInputs(serializers.Serializer):
    seed = serializers.IntegerField(**SEED, help_text="The same seed and inputs give the same image.")
    output_format = serializers.ChoiceField(choices=Prediction.OutputFormat.values, default="png")
    return_base64 = serializers.BooleanField(
        default=False, help_text="`output` holds data URIs (data:image/png;base64,...) instead of URLs."
    )


class TryOnInputs(CommonInputs):
    model_image = image_field(help_text=f"The person. {IMAGE_HELP} Or saved:<name> for a saved fashion model.")
    garment_image = image_field()
    category = serializers.ChoiceField(
        choices=["auto", "tops", "bottoms", "one-pieces"],
        default="auto",
        help_text="auto is read as tops: no garment classifier is installed, so send bottoms or one-pieces.",
    )
    garment_photo_type = serializers.ChoiceField(choices=["auto", "flat-lay", "model"], default="auto")
    mode = serializers.ChoiceField(choices=MODES, default="balanced")
    num_samples = serializers.IntegerField(min_value=1, max_value=MAX_SAMPLES, default=1)
    moderation_level = serializers.ChoiceField(
        choices=["conservative", "permissive", "none"],
        required=False,
        help_text="Content checks on the photos and the result; none skips them. Absent: the shop's own setting.",
    )
    segmentation_free = serializers.BooleanField(default=True)


class ProductToModelInputs(CommonInputs):
    product_image = image_field()
    model_image = image_field(
        required=False, help_text=f"Absent: a saved fashion model (saved:<name>, else the first). {IMAGE_HELP}"
    )
    prompt = serializers.CharField(
        max_length=300, required=False, help_text="The scene, in words; absent: a saved scene."
    )
    pose = serializers.CharField(max_length=120, required=False, help_text="saved:<name> of one of your poses.")
    scene = serializers.CharField(max_length=120, required=False, help_text="saved:<name> of one of your scenes.")
    generation_mode = serializers.ChoiceField(choices=["fast", "balanced", "quality"], default="balanced")
    aspect_ratio = serializers.CharField(max_length=10, required=False)
    resolution = serializers.CharField(max_length=10, required=False)
    image_prompt = serializers.CharField(required=False)


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="RunInputs", serializers=[TryOnInputs, ProductToModelInputs], resource_type_field_name=None
    )
)
class InputsField(serializers.DictField):
    """Validated by the serializer its model_name picks (INPUTS)."""


class RunInput(serializers.Serializer):
    model_name = serializers.ChoiceField(choices=Prediction.ModelName.values)
    inputs = InputsField(help_text="tryon-v1.6, tryon-v1.5: TryOnInputs; product-to-model: ProductToModelInputs.")


INPUTS = {
    Prediction.ModelName.TRYON_V1_6: TryOnInputs,
    Prediction.ModelName.TRYON_V1_5: TryOnInputs,
    Prediction.ModelName.PRODUCT_TO_MODEL: ProductToModelInputs,
}


class RunOutput(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    error = serializers.CharField(read_only=True, allow_null=True)


class ErrorObject(serializers.Serializer):
    name = serializers.ChoiceField(
        choices=[
            "InputValidationError",
            "ImageLoadError",
            "PoseError",
            "ContentModerationError",
            "PipelineError",
            "InternalServerError",
        ],
        read_only=True,
    )
    message = serializers.CharField(read_only=True)


class StatusOutput(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(
        choices=["starting", "in_queue", "processing", "completed", "failed", "canceled"], read_only=True
    )
    output = serializers.ListField(
        child=serializers.CharField(), allow_null=True, read_only=True, help_text="URLs, or data URIs"
    )
    error = ErrorObject(allow_null=True, read_only=True)


class ApiError(serializers.Serializer):
    error = serializers.CharField(
        read_only=True,
        help_text="BadRequest, UnauthorizedAccess, NotFound, RateLimitExceeded, InternalServerError; for input "
        "refused before running: InputValidationError, ImageLoadError, PoseError",
    )
    message = serializers.CharField(read_only=True, help_text="Starts with the input to blame, e.g. inputs.seed: ...")
