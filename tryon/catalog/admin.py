from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from prompts.cutout import CutoutError
from tryon.catalog.admin_display import (
    fashion_model_thumbnail,
    garment_cutout_pair,
    pose_thumbnail,
    scene_thumbnail,
    thumbnail,
)
from tryon.catalog.admin_forms import CatalogItemForm, FashionModelForm, GarmentForm, PoseForm, SceneForm
from tryon.catalog.admin_writes import FashionModelWrites, GarmentWrites, PoseWrites, SceneWrites
from tryon.catalog.cutouts import garment_preview_response, garment_previews
from tryon.catalog.models import CatalogItem, FashionModel, Garment, KeypointSource, Pose, Scene
from tryon.catalog.services import fashion_model_detect_keypoints
from tryon.catalog.thumbnails import pose_thumbnail_response
from tryon.jobs.admin_scores import image_scores
from tryon.jobs.gallery import (
    generated_image_approve,
    generated_image_make_primary,
    generated_image_reject,
    review_gallery,
    review_state,
)
from tryon.jobs.models import GeneratedImage
from tryon.jobs.previews import render_previews
from tryon.merchants.scoping import MerchantScopedAdmin

__all__ = ["thumbnail"]  # tryon.jobs.admin imports it from here

GALLERY_ACTIONS = {
    "approve": (generated_image_approve, "approved"),
    "reject": (generated_image_reject, "rejected"),
    "primary": (generated_image_make_primary, "made primary"),
}


@admin.register(Garment)
class GarmentAdmin(GarmentWrites, MerchantScopedAdmin):
    form = GarmentForm
    list_display = ["preview", "name", "category", "colour", "material"]
    list_display_links = ["name"]
    list_filter = ["category"]
    search_fields = ["name", "description"]
    readonly_fields = ["stored_photo", "cutout_preview"]
    actions = [render_previews]

    @admin.display(description="Photo")
    def preview(self, garment):
        return thumbnail(garment.image)  # decorative: the name is beside it

    @admin.display(description="Stored photo")
    def stored_photo(self, garment):
        return thumbnail(garment.image, 240, alt=f"{garment.name}, as stored")

    @admin.display(description="Cut-out and mask")
    def cutout_preview(self, garment):
        if not garment.pk or not garment.image:
            return "—"
        try:
            garment_previews(garment)
        except CutoutError as error:
            return f"No cut-out: {error}. A photo on a plain, contrasting background cuts out cleanly."
        return garment_cutout_pair(garment)

    def get_urls(self):
        view = self.admin_site.admin_view(self.cutout_view)
        route = "<int:object_id>/<str:kind>.png"
        return [path(route, view, name="catalog_garment_preview"), *super().get_urls()]

    def cutout_view(self, request, object_id, kind):
        return garment_preview_response(self.viewable_object_or_404(request, object_id), kind)


@admin.register(CatalogItem)
class CatalogItemAdmin(MerchantScopedAdmin):
    form = CatalogItemForm
    list_display = ["preview", "title", "sku_code", "gallery_counts", "created_at"]
    list_display_links = ["title"]
    search_fields = ["title", "sku"]
    filter_horizontal = ["garments"]
    readonly_fields = ["gallery"]
    actions = [render_previews]

    class Media:
        css = {"all": ["catalog/admin.css", "jobs/admin.css"]}  # jobs': the fidelity badges in the gallery

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("garments")
            .annotate(
                approved_count=Count("generated_images", filter=Q(generated_images__approved=True)),
                waiting_count=Count(
                    "generated_images",
                    filter=Q(generated_images__approved=False, generated_images__rejected=False),
                ),
            )
        )

    def get_fieldsets(self, request, obj=None):
        fields = [field for field in self.get_fields(request, obj) if field != "gallery"]
        if obj is None:
            return [(None, {"fields": fields})]
        note = "Approved images are shown in the shop and the storefront API, the primary one first."
        return [(None, {"fields": fields}), ("Gallery", {"fields": ["gallery"], "description": note})]

    @admin.display(description="Photo")
    def preview(self, item):
        garment = next(iter(item.garments.all()), None)
        return thumbnail(garment.image if garment else None)

    @admin.display(description="SKU", ordering="sku")
    def sku_code(self, item):
        return item.sku

    @admin.display(description="Gallery")
    def gallery_counts(self, item):
        return f"{item.approved_count} approved · {item.waiting_count} to review"

    @admin.display(description="Generated images")
    def gallery(self, item):
        entries = [
            {
                "image": image,
                "state": review_state(image),
                "picks": " · ".join(str(pick) for pick in (image.job.fashion_model, image.job.pose, image.job.scene)),
                "fidelity": image_scores(image),
                "urls": {
                    action: reverse("admin:catalog_catalogitem_gallery", args=[item.id, image.id, action])
                    for action in GALLERY_ACTIONS
                },
            }
            for image in review_gallery(catalog_item=item)
        ]
        changelist = reverse("admin:catalog_catalogitem_changelist")
        return render_to_string(
            "admin/catalog/catalogitem/gallery.html", {"entries": entries, "changelist_url": changelist}
        )

    def get_urls(self):
        review = self.admin_site.admin_view(require_POST(self.gallery_review_view))
        route = "<int:object_id>/gallery/<int:image_id>/<str:action>/"
        return [path(route, review, name="catalog_catalogitem_gallery"), *super().get_urls()]

    def gallery_review_view(self, request, object_id, image_id, action):
        item = self.get_object(request, str(object_id))
        if item is None or action not in GALLERY_ACTIONS or not self.has_change_permission(request, item):
            raise Http404("No such image")
        image = get_object_or_404(GeneratedImage, pk=image_id, catalog_item=item)
        service, done = GALLERY_ACTIONS[action]
        try:
            service(image=image)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, f"Image {image.index} of try-on #{image.job_id} {done}.")
        return redirect(reverse("admin:catalog_catalogitem_change", args=[item.id]) + "#gallery")


@admin.register(FashionModel)
class FashionModelAdmin(FashionModelWrites, MerchantScopedAdmin):
    form = FashionModelForm
    list_display = ["preview", "name", "gender_presentation", "age_range", "body_type", "skin_tone", "keypoints"]
    list_display_links = ["name"]
    readonly_fields = ["stored_photo", "keypoints_status", "cast_identity"]
    actions = ["detect_keypoints"]
    change_list_template = "admin/catalog/fashionmodel/change_list.html"  # with "Cast new models…" (tryon.casting)

    class Media:
        css = {"all": ["catalog/admin.css"]}

    def get_fields(self, request, obj=None):
        hidden = ("photo_keypoints", "keypoints_status", "cast_identity")
        fields = [field for field in super().get_fields(request, obj) if field not in hidden]
        if obj is not None and obj.identity_portrait:  # a cast model: the references its renders condition on
            fields.append("cast_identity")
        if obj is None or not obj.reference_photo:
            return fields  # keypoints mark the person in a stored photo: nothing to show before one is stored
        return [*fields, "keypoints_status", "photo_keypoints"]

    @admin.display(description="Cast identity")
    def cast_identity(self, fashion_model):
        return format_html(
            '<span class="tryon-identity" style="display:inline-flex;gap:12px">{}{}</span><p>{}</p><p>Seed {}</p>',
            thumbnail(fashion_model.identity_portrait, 240, alt=f"{fashion_model.name}, portrait reference"),
            thumbnail(fashion_model.identity_full_body, 240, alt=f"{fashion_model.name}, full-body reference"),
            fashion_model.identity_prompt,
            fashion_model.identity_seed,
        )

    @admin.action(description="Detect body keypoints in the photos")
    def detect_keypoints(self, request, queryset):
        outcomes = {}
        for fashion_model in queryset.exclude(reference_photo=""):
            fashion_model_detect_keypoints(fashion_model=fashion_model)
            outcome = fashion_model.photo_keypoints_note or "Keypoints detected."
            outcomes.setdefault(outcome, []).append(fashion_model.name)
        if not outcomes:
            self.message_user(request, "None of these fashion models has a photo.", messages.WARNING)
        for outcome, names in outcomes.items():
            level = messages.WARNING if outcome != "Keypoints detected." else messages.SUCCESS
            self.message_user(request, f"{', '.join(names)}: {outcome}", level)

    @admin.display(description="Photo")
    def preview(self, fashion_model):
        if not fashion_model.reference_photo and fashion_model.identity_portrait:  # a cast model: its portrait
            return thumbnail(fashion_model.identity_portrait)
        return fashion_model_thumbnail(fashion_model)

    @admin.display(description="Keypoints", ordering="photo_keypoints_source")
    def keypoints(self, fashion_model):
        return fashion_model.get_photo_keypoints_source_display() if fashion_model.reference_photo else "—"

    @admin.display(description="Stored photo")
    def stored_photo(self, fashion_model):
        return thumbnail(fashion_model.reference_photo, 240, alt=f"{fashion_model.name}, as stored")

    @admin.display(description="Keypoints found")
    def keypoints_status(self, fashion_model):
        source = fashion_model.get_photo_keypoints_source_display()
        if not fashion_model.photo_keypoints_note:
            return source if fashion_model.photo_keypoints_source else "—"
        warn = fashion_model.photo_keypoints_source != KeypointSource.DETECTED
        return format_html(
            '<p class="tryon-keypoints-note{}" role="status">{}</p>',
            " is-warning" if warn else "",
            fashion_model.photo_keypoints_note,
        )


@admin.register(Pose)
class PoseAdmin(PoseWrites, MerchantScopedAdmin):
    form = PoseForm
    list_display = ["skeleton", "name", "created_at"]
    list_display_links = ["name"]

    def get_changeform_initial_data(self, request):
        from prompts.poses import FRONT_STANDING

        return {
            "keypoints": [list(point) for point in FRONT_STANDING.keypoints],
            **super().get_changeform_initial_data(request),
        }

    @admin.display(description="Skeleton")
    def skeleton(self, pose):
        return pose_thumbnail(pose, height=72)

    def get_urls(self):
        view = self.admin_site.admin_view(self.skeleton_view)
        return [path("<int:object_id>/skeleton.png", view, name="catalog_pose_skeleton"), *super().get_urls()]

    def skeleton_view(self, request, object_id):
        return pose_thumbnail_response(self.viewable_object_or_404(request, object_id))


@admin.register(Scene)
class SceneAdmin(SceneWrites, MerchantScopedAdmin):
    form = SceneForm
    list_display = ["preview", "name", "location", "lighting", "time_of_day", "prompt"]
    list_display_links = ["name"]
    readonly_fields = ["stored_picture"]

    @admin.display(description="Picture")
    def preview(self, scene):
        return scene_thumbnail(scene)

    @admin.display(description="Stored picture")
    def stored_picture(self, scene):
        return thumbnail(scene.picture, 240, alt=f"{scene.name}, as stored")
