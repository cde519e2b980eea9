"""The casting brief as a form: the attributes and how many candidates, checked again by the service."""

from django import forms

from prompts.casting import (
    HAIR_COLOURS,
    HAIR_STYLES,
    MAX_CANDIDATES,
    MAX_HEIGHT_CM,
    MIN_HEIGHT_CM,
    NOTE_INPUT_LIMIT,
)
from prompts.vocabulary import AGE_RANGES, BODY_TYPES, GENDER_PRESENTATIONS, SKIN_TONES
from tryon.catalog.models import _choices

ANY = [("", "Any: each candidate differs")]
ATTRIBUTES = ("gender_presentation", "age_range", "body_type", "skin_tone", "height_cm", "hair_colour", "hair_style")


class CastingForm(forms.Form):
    gender_presentation = forms.ChoiceField(choices=_choices(GENDER_PRESENTATIONS))
    age_range = forms.ChoiceField(choices=_choices(AGE_RANGES))
    body_type = forms.ChoiceField(choices=_choices(BODY_TYPES), label="Body type and size")
    skin_tone = forms.ChoiceField(choices=_choices(SKIN_TONES))
    height_cm = forms.IntegerField(
        label="Height (cm)", required=False, min_value=MIN_HEIGHT_CM, max_value=MAX_HEIGHT_CM
    )
    hair_colour = forms.ChoiceField(choices=ANY + _choices(HAIR_COLOURS), required=False)
    hair_style = forms.ChoiceField(choices=ANY + _choices(HAIR_STYLES), required=False)
    note = forms.CharField(
        max_length=NOTE_INPUT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional, e.g. wears glasses. Said in every render of the people you keep.",
    )
    count = forms.IntegerField(label="How many candidates", min_value=1, max_value=MAX_CANDIDATES, initial=4)

    def attributes(self) -> dict:
        values = {name: self.cleaned_data[name] for name in ATTRIBUTES}
        return {**values, "note": self.cleaned_data["note"].strip()}


class KeepForm(forms.Form):
    candidate = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=100)
