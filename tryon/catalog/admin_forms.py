"""Admin forms: every photo goes through the normaliser, so a bad upload is a message by its field, never a 500.

The forms only check; the admins save through the catalog services (tryon.catalog.admin), which store
the photos the forms normalised, in `form.photos`, once the row exists.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from tryon.catalog.images import normalise_image_upload
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.catalog.services import validate_keypoints, validate_photo_keypoints
from tryon.catalog.widgets import KeypointEditor
from tryon.media.signing import signed_url

PHOTO_HELP = "A JPEG, PNG or WebP photo."


def errors_of(error: ValidationError, field: str) -> ValidationError:
    """A service's {field: messages} error, as a form's clean_<field> must raise it."""
    return ValidationError(error.message_dict[field])


class PhotoForm(forms.ModelForm):
    """Remembers what became of each photo field: {field: NormalisedImage} for a new upload, False for one
    cleared ("Clear" ticked); a field left as it was is absent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.photos = {}

    def normalised_photo(self, field: str):
        """clean_<field> for a photo: a new upload is normalised now, so a bad one is refused by its field."""
        photo = self.cleaned_data[field]
        if isinstance(photo, UploadedFile):  # a new upload, not the file already stored
            try:
                self.photos[field] = normalise_image_upload(photo, field=field)
            except ValidationError as error:
                raise errors_of(error, field) from None
        elif photo is False:
            self.photos[field] = False
        return photo


class GarmentForm(PhotoForm):
    # Plain file fields: our normaliser decodes the photo and explains what is wrong with it.
    image = forms.FileField(help_text=f"{PHOTO_HELP} A cut-out on a plain background works best.")

    class Meta:
        model = Garment
        fields = [
            "merchant", "name", "category", "image", "colour", "material",
            "pattern", "fit", "length", "sleeve_length", "keywords", "description",
        ]  # fmt: skip

    def clean_image(self):
        return self.normalised_photo("image")


class FashionModelForm(PhotoForm):
    reference_photo = forms.FileField(
        required=False, widget=forms.ClearableFileInput, help_text=f"Optional. {PHOTO_HELP} Face and body, well lit."
    )

    class Meta:
        model = FashionModel
        fields = [
            "merchant", "name", "gender_presentation", "age_range", "body_type", "skin_tone",
            "hair", "expression", "reference_photo", "photo_keypoints",
        ]  # fmt: skip
        labels = {"photo_keypoints": "Body keypoints in the photo"}
        help_texts = {
            "photo_keypoints": "Where the person's joints are in the photo: garments are warped onto them. "
            "Detected when a photo is uploaded; drag a joint to correct it. Empty the JSON to detect again."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "photo_keypoints" in self.fields:
            photo = self.instance.reference_photo
            self.fields["photo_keypoints"].widget = KeypointEditor(
                background=signed_url(photo),
                empty_text="No keypoints for this photo. Choose a library pose to start, then drag each joint "
                "onto the person.",
            )

    def clean_reference_photo(self):
        return self.normalised_photo("reference_photo")

    def clean_photo_keypoints(self):
        keypoints = self.cleaned_data["photo_keypoints"]
        if keypoints is None:
            return None
        try:
            return validate_photo_keypoints(keypoints)
        except ValidationError as error:
            raise errors_of(error, "photo_keypoints") from None


class PoseForm(forms.ModelForm):
    class Meta:
        model = Pose
        fields = ["merchant", "name", "keypoints"]
        widgets = {"keypoints": KeypointEditor}
        help_texts = {"keypoints": "Drag the joints, or pick a joint and move it with the arrow keys."}

    def clean_keypoints(self):
        try:
            return validate_keypoints(self.cleaned_data["keypoints"])
        except ValidationError as error:
            raise errors_of(error, "keypoints") from None


class CatalogItemForm(forms.ModelForm):
    class Meta:
        model = CatalogItem
        fields = ["merchant", "sku", "title", "garments"]
        labels = {"sku": "SKU"}


class SceneForm(PhotoForm):
    picture = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput,
        help_text=f"Optional. {PHOTO_HELP} Shown on the shop's scene picker; the prompt, not this, steers the render.",
    )

    class Meta:
        model = Scene
        fields = ["merchant", "name", "prompt", "negative_prompt", "location", "lighting", "time_of_day", "picture"]

    def clean_picture(self):
        return self.normalised_photo("picture")
