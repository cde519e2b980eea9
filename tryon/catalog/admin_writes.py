"""The merchant admin writes through the catalog services, like every other writer: the same checks,
the same normalised photos, cut-outs and keypoints, and files stored only once their row exists.

Django's admin would save the form's instance itself (`obj.save()`), storing an uploaded file before its
row exists and skipping what the services add. So add and change call a service instead; the admin then
goes on (change message, log entry, redirect) with the row the service saved.
"""

from django.contrib import messages

from tryon.catalog import services
from tryon.merchants.scoping import merchant_of

# Form fields that are not plain values for the services: the owner, the photos (in form.photos), and the
# fashion model's keypoints, which have a service of their own.
NOT_VALUES = ("merchant", "image", "reference_photo", "picture", "photo_keypoints")


class SavedByServices:
    """save_model for a MerchantScopedAdmin: `create` on add, `update` on change, both calling services."""

    def create(self, request, *, merchant, values: dict, form):
        raise NotImplementedError

    def update(self, request, *, obj, values: dict, form):
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and request.user.is_superuser:  # a row never moves to another merchant's catalog
            readonly.append("merchant")
        return readonly

    def save_model(self, request, obj, form, change):
        values = {name: value for name, value in form.cleaned_data.items() if name not in NOT_VALUES}
        if change:
            saved = self.update(request, obj=type(obj).objects.get(pk=obj.pk), values=values, form=form)
        else:
            merchant = form.cleaned_data["merchant"] if request.user.is_superuser else merchant_of(request)
            saved = self.create(request, merchant=merchant, values=values, form=form)
        obj.__dict__.update(saved.__dict__)  # the form's instance, never saved itself, becomes the saved row


def new_photo(form, field: str):
    """The normalised upload of `field`, or None when it was left as it was or cleared."""
    return form.photos.get(field) or None


class GarmentWrites(SavedByServices):
    def create(self, request, *, merchant, values, form):
        return services.garment_create(merchant=merchant, image=new_photo(form, "image"), **values)

    def update(self, request, *, obj, values, form):
        return services.garment_update(garment=obj, image=new_photo(form, "image"), **values)


class FashionModelWrites(SavedByServices):
    def create(self, request, *, merchant, values, form):
        photo = new_photo(form, "reference_photo")
        saved = services.fashion_model_create(merchant=merchant, reference_photo=photo, **values)
        self._note_keypoints(request, saved, looked=photo is not None)
        return saved

    def update(self, request, *, obj, values, form):
        photo, cleared = new_photo(form, "reference_photo"), form.photos.get("reference_photo") is False
        saved = services.fashion_model_update(
            fashion_model=obj, reference_photo=photo, remove_reference_photo=cleared, **values
        )
        edited = photo is None and not cleared and "photo_keypoints" in form.changed_data
        if edited:
            saved = services.fashion_model_edit_keypoints(
                fashion_model=saved, keypoints=form.cleaned_data["photo_keypoints"]
            )
        self._note_keypoints(request, saved, looked=photo is not None or cleared or edited)
        return saved

    def _note_keypoints(self, request, fashion_model, *, looked: bool) -> None:
        if looked and fashion_model.photo_keypoints_note:
            self.message_user(request, f"{fashion_model.name}: {fashion_model.photo_keypoints_note}", messages.WARNING)


class PoseWrites(SavedByServices):
    def create(self, request, *, merchant, values, form):
        return services.pose_create(merchant=merchant, **values)

    def update(self, request, *, obj, values, form):
        return services.pose_update(pose=obj, **values)


class SceneWrites(SavedByServices):
    def create(self, request, *, merchant, values, form):
        return services.scene_create(merchant=merchant, picture=new_photo(form, "picture"), **values)

    def update(self, request, *, obj, values, form):
        cleared = form.photos.get("picture") is False
        return services.scene_update(scene=obj, picture=new_photo(form, "picture"), remove_picture=cleared, **values)
