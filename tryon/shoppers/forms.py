"""The shop's "Your model" forms: a shopper describes someone like them (or picks the closest of the merchant's
models), and, where the shop allows it, consents to and uploads their own photo. Shoppers only pick: every
word a prompt gets comes from a choice here, never from a text box."""

from django import forms
from django.conf import settings

from tryon.catalog.models import FashionModel, Pose
from tryon.shoppers.consent import consent_text


def _catalog_choices(field: str) -> list[tuple[str, str]]:
    return [("", "Choose…"), *FashionModel._meta.get_field(field).choices]


HAIR_LENGTHS = ["short", "chin-length", "shoulder-length", "long", "shaved", "bald"]
HAIR_TEXTURES = ["straight", "wavy", "curly", "coily", "braided"]
HAIR_COLOURS = ["black", "dark brown", "brown", "auburn", "red", "blonde", "grey", "white"]
NO_HAIR = ("shaved", "bald")  # no texture or colour to say
ATTRIBUTES = ("gender_presentation", "age_range", "body_type", "skin_tone")


def _words(values) -> list[tuple[str, str]]:
    return [("", "Any"), *((value, value.replace("-", " ").capitalize()) for value in values)]


def hair_words(length: str, texture: str, colour: str) -> str:
    """The three picks as the catalog says hair: "long wavy brown hair", "bald", "" for no pick at all."""
    if length == "bald":
        return "bald"
    if length == "shaved":
        return "shaved head"
    words = [word for word in (length, texture, colour) if word]
    return f"{' '.join(words)} hair" if words else ""


def hair_picks(hair: str) -> dict:
    """The picks a stored hair text was made of, so the form shows the shopper's choice again."""
    found = {"hair_length": "", "hair_texture": "", "hair_colour": ""}
    if hair in ("bald", "shaved head"):
        return {**found, "hair_length": hair.split()[0]}
    for name, values in (("hair_length", HAIR_LENGTHS), ("hair_texture", HAIR_TEXTURES)):
        found[name] = next((value for value in values if hair.startswith(value) or f" {value} " in hair), "")
    found["hair_colour"] = next((value for value in HAIR_COLOURS if hair.endswith(f"{value} hair")), "")
    return found


class ShopperModelForm(forms.Form):
    """Someone like the shopper, or "closest to" one of the merchant's models (whose attributes are copied)."""

    like = forms.ModelChoiceField(
        queryset=FashionModel.objects.none(),
        required=False,
        label="Or start from the closest of our models",
        empty_label="None: I describe my model",
    )
    gender_presentation = forms.ChoiceField(
        label="Gender presentation", choices=_catalog_choices("gender_presentation"), required=False
    )
    age_range = forms.ChoiceField(label="Age range", choices=_catalog_choices("age_range"), required=False)
    height_cm = forms.IntegerField(label="Height (cm)", min_value=120, max_value=220, required=False)
    body_type = forms.ChoiceField(label="Size and build", choices=_catalog_choices("body_type"), required=False)
    skin_tone = forms.ChoiceField(label="Skin tone", choices=_catalog_choices("skin_tone"), required=False)
    hair_length = forms.ChoiceField(label="Hair length", choices=_words(HAIR_LENGTHS), required=False)
    hair_texture = forms.ChoiceField(label="Hair texture", choices=_words(HAIR_TEXTURES), required=False)
    hair_colour = forms.ChoiceField(label="Hair colour", choices=_words(HAIR_COLOURS), required=False)

    def __init__(self, *args, fashion_models, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["like"].queryset = fashion_models

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("like") is None and not self.has_error("like"):
            for name in ATTRIBUTES:  # described by hand: every word the prompt needs
                if not cleaned.get(name) and not self.has_error(name):
                    self.add_error(name, f"Pick a {self.fields[name].label.lower()}, or start from one of our models.")
        return cleaned

    def service_arguments(self) -> dict:
        """What shopper_model_set takes: None where the shopper left a choice open (`like`'s, or what they had)."""
        data = self.cleaned_data
        hair = hair_words(data["hair_length"], data["hair_texture"], data["hair_colour"])
        return {
            **{name: data[name] or None for name in ATTRIBUTES},
            "height_cm": data["height_cm"],
            "hair": hair or None,
            "like": data["like"],
        }


class PoseChoice(forms.ModelChoiceField):
    def label_from_instance(self, pose):
        return pose.name


class ShopperPhotoForm(forms.Form):
    """The consent step and the upload, in one form: nothing is stored unless the box is ticked."""

    consent = forms.BooleanField(
        label="I agree: store my photo for my own previews, as described above",
        label_suffix="",
        error_messages={"required": "Tick the box to agree before you upload your photo; nothing was stored."},
    )
    photo = forms.FileField(
        label="Your photo", help_text="A full-length photo of you, standing, on a plain background."
    )
    pose = PoseChoice(
        queryset=Pose.objects.none(),
        required=False,
        label="The pose closest to yours",
        empty_label="Find it in my photo",
        widget=forms.RadioSelect,
        help_text="Used when we cannot find your pose in the photo.",
    )

    def __init__(self, *args, poses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pose"].queryset = poses

    @staticmethod
    def consent_text() -> str:
        return consent_text()

    @staticmethod
    def hours() -> int:
        return settings.TRYON_SHOPPER_PHOTO_HOURS
