"""Casting's input and output serializers (one pair per operation; names are OpenAPI components)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prompts.casting import HAIR_COLOURS, HAIR_STYLES, MAX_CANDIDATES, MAX_HEIGHT_CM, MIN_HEIGHT_CM, NOTE_INPUT_LIMIT
from tryon.casting.models import Casting
from tryon.casting.selectors import casting_state
from tryon.catalog.models import FashionModel
from tryon.jobs.public_data import FileUrlField

ATTRIBUTES = (
    "gender_presentation", "age_range", "body_type", "skin_tone", "height_cm", "hair_colour", "hair_style", "note",
)  # fmt: skip


def _as_fashion_models(field: str) -> list:
    """A FashionModel field's choices: the same values and labels, so OpenAPI has one enum for both."""
    return FashionModel._meta.get_field(field).choices


class CastingCreateInput(serializers.Serializer):
    gender_presentation = serializers.ChoiceField(choices=_as_fashion_models("gender_presentation"))
    age_range = serializers.ChoiceField(choices=_as_fashion_models("age_range"))
    body_type = serializers.ChoiceField(choices=_as_fashion_models("body_type"))
    skin_tone = serializers.ChoiceField(choices=_as_fashion_models("skin_tone"))
    height_cm = serializers.IntegerField(min_value=MIN_HEIGHT_CM, max_value=MAX_HEIGHT_CM, required=False)
    hair_colour = serializers.ChoiceField(
        choices=HAIR_COLOURS, required=False, allow_blank=True, default="", help_text="Absent: each candidate differs."
    )
    hair_style = serializers.ChoiceField(
        choices=list(HAIR_STYLES), required=False, allow_blank=True, default="", help_text="Absent: each differs."
    )
    note = serializers.CharField(
        max_length=NOTE_INPUT_LIMIT,
        required=False,
        allow_blank=True,
        default="",
        help_text="Free text, e.g. wears glasses; cleaned of prompt syntax and shortened where it enters a prompt.",
    )
    count = serializers.IntegerField(min_value=1, max_value=MAX_CANDIDATES, help_text="How many candidates.")
    preset = serializers.CharField(max_length=50, required=False, help_text="Engine preset; the server's default.")


class CastingKeepInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="The fashion model's name in the catalog.")


class CastingCandidateOutput(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    index = serializers.IntegerField(read_only=True, help_text="0-based position in the casting.")
    status = serializers.ChoiceField(
        source="state.status",
        choices=["portrait", "full_body", "ready", "kept", "failed"],
        read_only=True,
        help_text="portrait / full_body: that image is rendering; ready: both are there, keep it; kept; failed.",
    )
    progress = serializers.FloatField(source="state.progress", read_only=True, help_text="0..1 over both images.")
    error = serializers.CharField(source="state.error", read_only=True, allow_blank=True)
    hair = serializers.CharField(read_only=True)
    identity_prompt = serializers.CharField(read_only=True, help_text="The words that describe this person.")
    seed = serializers.IntegerField(read_only=True, help_text="The seed family of every render of this person.")
    portrait_url = FileUrlField(source="portrait", allow_null=True)
    full_body_url = FileUrlField(source="full_body", allow_null=True)
    kept_fashion_model = serializers.IntegerField(
        source="kept_as_id", read_only=True, allow_null=True, help_text="The fashion model's id once kept."
    )


class CastingAttributesOutput(serializers.Serializer):
    gender_presentation = serializers.CharField(read_only=True)
    age_range = serializers.CharField(read_only=True)
    body_type = serializers.CharField(read_only=True)
    skin_tone = serializers.CharField(read_only=True)
    height_cm = serializers.IntegerField(read_only=True, allow_null=True)
    hair_colour = serializers.CharField(read_only=True, allow_blank=True)
    hair_style = serializers.CharField(read_only=True, allow_blank=True)
    note = serializers.CharField(read_only=True, allow_blank=True)


class CastingOutput(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="queued, running, succeeded (every candidate done, at least one usable) or failed (none usable)."
    )
    progress = serializers.SerializerMethodField(help_text="0..1 over every candidate's two images.")
    attributes = CastingAttributesOutput(read_only=True)
    candidates = serializers.SerializerMethodField()

    class Meta:
        model = Casting
        fields = ["id", "status", "progress", "count", "preset", "attributes", "candidates", "created_at"]
        read_only_fields = fields

    def _state(self, casting) -> dict:
        cache = self.context.setdefault("casting_states", {})
        if casting.pk not in cache:
            cache[casting.pk] = casting_state(casting)
        return cache[casting.pk]

    @extend_schema_field(serializers.ChoiceField(choices=["queued", "running", "succeeded", "failed"]))
    def get_status(self, casting) -> str:
        return self._state(casting)["status"]

    def get_progress(self, casting) -> float:
        return self._state(casting)["progress"]

    @extend_schema_field(CastingCandidateOutput(many=True))
    def get_candidates(self, casting) -> list:
        states = self._state(casting)["candidates"]
        for candidate, state in states.items():
            candidate.state = state  # read by CastingCandidateOutput's status, progress and error
        ordered = sorted(states, key=lambda candidate: candidate.index)
        return CastingCandidateOutput(ordered, many=True, context=self.context).data
