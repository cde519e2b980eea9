from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from tryon.catalog.admin_display import thumbnail
from tryon.jobs.admin_scores import image_scores, job_attempts, mask_overlay
from tryon.jobs.batches import tryon_batch_progress
from tryon.jobs.gallery import generated_image_approve, generated_image_reject, review_state
from tryon.jobs.models import GeneratedImage, TryOnBatch, TryOnJob
from tryon.jobs.retries import tryon_job_retry
from tryon.jobs.services import JobStateError, tryon_job_cancel
from tryon.media.signing import signed_url
from tryon.merchants.scoping import MerchantScopedAdmin

Status = TryOnJob.Status


def _seconds(delta) -> str:
    seconds = delta.total_seconds() if hasattr(delta, "total_seconds") else delta
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def job_timings(job: TryOnJob) -> str:
    if job.status == Status.QUEUED:
        return f"waiting {_seconds(timezone.now() - job.created_at)}"
    parts = []
    if job.started_at:
        parts.append(f"waited {_seconds(job.started_at - job.created_at)}")
    if job.status == Status.RUNNING and job.started_at:
        parts.append(f"running {_seconds(timezone.now() - job.started_at)}")
    if job.render_seconds is not None:
        parts.append(f"rendered in {_seconds(job.render_seconds)}")
    elif job.finished_at:
        parts.append(f"finished after {_seconds(job.finished_at - job.created_at)}")
    return ", ".join(parts) or "—"


def job_status(job: TryOnJob):
    return format_html('<span class="job-status is-{}">{}</span>', job.status, job.get_status_display())


def job_problem(job: TryOnJob) -> str:
    """What went wrong, in the words the worker recorded."""
    if job.status == Status.CANCELLED:
        return job.error or "Cancelled before it finished."
    return job.error or "—"


class ReadOnlyImagesInline(admin.TabularInline):
    """A job's images. Shown on job pages the merchant-scoped admin already let this user open."""

    model = GeneratedImage
    fields = readonly_fields = ["preview", "index", "seed", "fidelity", "review", "catalog_item"]
    extra = max_num = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Image")
    def preview(self, image):
        return thumbnail(image.file, 128)

    @admin.display(description="Review")
    def review(self, image):
        return review_state(image).capitalize()

    @admin.display(description="Fidelity")
    def fidelity(self, image):
        return image_scores(image)


class JobsMedia:
    css = {"all": ["jobs/admin.css"]}


@admin.register(TryOnJob)
class TryOnJobAdmin(MerchantScopedAdmin):
    list_display = ["number", "status_badge", "progress_bar", "what", "failure", "problem", "timings"]
    list_filter = ["status", "failure_code", "priority", "preset"]
    search_fields = ["catalog_item__title", "catalog_item__sku", "error"]
    list_select_related = ["catalog_item", "fashion_model", "pose", "scene"]

    def get_queryset(self, request):  # a shopper's own photo and its renders are theirs alone (tryon.shoppers)
        return super().get_queryset(request).exclude(fashion_model__private=True)

    readonly_fields = [
        "status_badge", "progress_bar", "failure", "problem", "timings", "garment_list", "samples",
        "draft_preview", "attempts_table",
    ]  # fmt: skip
    fieldsets = [
        (
            None,
            {"fields": ["status_badge", "progress_bar", "failure", "problem", "notice", "timings", "draft_preview"]},
        ),
        ("Quality gate", {"fields": ["attempts_table"]}),
        (
            "Picks",
            {"fields": ["catalog_item", "garment_list", "fashion_model", "pose", "scene", "style", "seed", "samples"]},
        ),
        ("Engine", {"fields": ["preset", "priority", "attempts", "plan_fingerprint", "plan"], "classes": ["collapse"]}),
    ]
    inlines = [ReadOnlyImagesInline]
    actions = ["retry_jobs", "cancel_jobs"]
    Media = JobsMedia

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(field.name for field in TryOnJob._meta.fields)]

    def has_add_permission(self, request):
        return False  # jobs are created by the shop, the API, previews or tryon_render, never typed in

    def has_change_permission(self, request, obj=None):
        return False  # read-only: state changes go through the retry and cancel actions

    @admin.display(description="Job", ordering="id")
    def number(self, job):
        return f"#{job.id}"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job):
        return job_status(job)

    @admin.display(description="Progress")
    def progress_bar(self, job):
        steps = f"step {job.steps_done} of {job.steps_total}" if job.steps_total else ""
        if job.status in (Status.FAILED, Status.CANCELLED):
            return f"stopped at {steps}" if job.steps_done else "stopped before it started"
        return format_html(
            '<span class="job-progress"><progress max="1" value="{}" aria-label="Progress of try-on #{}"></progress>'
            " {}</span>",
            round(job.progress, 3),
            job.id,
            "done" if job.status == Status.SUCCEEDED else steps,
        )

    @admin.display(description="What", ordering="catalog_item__title")
    def what(self, job):
        picks = " · ".join(str(pick or "(deleted)") for pick in (job.fashion_model, job.pose, job.scene))
        return format_html('{}<br><span class="job-picks">{}</span>', job.catalog_item or "(no catalog item)", picks)

    @admin.display(description="Why", ordering="failure_code")
    def failure(self, job):
        return job.get_failure_code_display() if job.failure_code else "—"

    @admin.display(description="Problem")
    def problem(self, job):
        text = job_problem(job)
        return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(140))

    @admin.display(description="When", ordering="created_at")
    def timings(self, job):
        created = date_format(timezone.localtime(job.created_at), "DATETIME_FORMAT")
        return format_html('{}<br><span class="job-picks">{}</span>', created, job_timings(job))

    @admin.display(description="Draft")
    def draft_preview(self, job):
        return thumbnail(job.draft, 160, alt=f"Draft of try-on #{job.id}") if job.draft else "—"

    @admin.display(description="Attempts")
    def attempts_table(self, job):
        return job_attempts(job)

    @admin.display(description="Garments")
    def garment_list(self, job):
        return ", ".join(str(garment) for garment in job.garments.all()) or "—"

    @admin.action(description="Retry the selected failed or cancelled try-ons")
    def retry_jobs(self, request, queryset):
        for job in queryset:
            try:
                again = tryon_job_retry(job=job)
            except (JobStateError, ValidationError) as error:
                text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, text, messages.WARNING)
            else:
                done = "already queued again" if again.reused else "queued again"
                self.message_user(request, f"Try-on #{job.id} {done} as #{again.id}.")

    @admin.action(description="Cancel the selected queued or running try-ons")
    def cancel_jobs(self, request, queryset):
        for job in queryset:
            if job.status == Status.CANCELLED:
                continue
            try:
                cancelled = tryon_job_cancel(job_id=job.id)
            except JobStateError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                state = "cancelled" if cancelled.status == Status.CANCELLED else "stops at its next step"
                self.message_user(request, f"Try-on #{job.id} {state}.")


@admin.register(TryOnBatch)
class TryOnBatchAdmin(MerchantScopedAdmin):
    list_display = ["number", "created_at", "source", "preset", "summary"]
    list_filter = ["source"]
    Media = JobsMedia

    def has_add_permission(self, request):
        return False  # batches start from the "Render previews" action on garments or catalog items

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Batch", ordering="id")
    def number(self, batch):
        return f"#{batch.id}"

    @admin.display(description="Progress")
    def summary(self, batch):
        counts = tryon_batch_progress(batch=batch)
        outcome = f"{counts['succeeded']} succeeded, {counts['failed']} failed"
        return f"{counts['finished']} of {counts['total']} finished ({outcome})"

    def get_urls(self):
        view = self.admin_site.admin_view(self.progress_view)
        return [path("<int:object_id>/progress.json", view, name="jobs_tryonbatch_progress"), *super().get_urls()]

    def _batch(self, request, object_id):
        batch = self.get_object(request, str(object_id))
        if batch is None or not self.has_view_permission(request, batch):
            raise Http404("No such batch")
        return batch

    def progress_view(self, request, object_id):
        return JsonResponse(batch_progress(self._batch(request, object_id)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self._batch(request, object_id)
        jobs = batch.jobs.select_related("catalog_item", "fashion_model", "pose", "scene").order_by("id")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Batch #{batch.id}",
            "batch": batch,
            "progress": batch_progress(batch),
            "jobs": jobs,
            "items": sorted({job.catalog_item for job in jobs if job.catalog_item}, key=lambda item: item.title),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/jobs/tryonbatch/progress.html", context)


def batch_progress(batch: TryOnBatch) -> dict:
    """The batch page's JSON: counts, and each job's status and images."""
    jobs = batch.jobs.prefetch_related("images").order_by("id")
    return {
        **tryon_batch_progress(batch=batch),
        "jobs": [
            {
                "id": job.id,
                "status": job.status,
                "label": job.get_status_display(),
                "steps": f"step {job.steps_done} of {job.steps_total}" if job.status == Status.RUNNING else "",
                "problem": job.error,
                "retries": max(0, len(job.quality_attempts) - 1),
                "images": [signed_url(image.file) for image in job.images.all()],  # in index order (Meta.ordering)
            }
            for job in jobs
        ],
    }


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"
    STATES = {
        "waiting": ("Awaiting review", {"approved": False, "rejected": False}),
        "approved": ("Approved", {"approved": True}),
        "primary": ("Primary", {"primary": True}),
        "rejected": ("Rejected", {"rejected": True}),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.STATES.items()]

    def queryset(self, request, queryset):
        return queryset.filter(**self.STATES[self.value()][1]) if self.value() in self.STATES else queryset


@admin.register(GeneratedImage)
class GeneratedImageAdmin(MerchantScopedAdmin):
    list_display = ["preview", "job", "catalog_item", "fidelity", "review", "created_at"]
    list_filter = [ReviewFilter]
    list_select_related = ["job", "catalog_item"]

    def get_queryset(self, request):  # a shopper's own photo and its renders are theirs alone (tryon.shoppers)
        return super().get_queryset(request).exclude(job__fashion_model__private=True)

    readonly_fields = [
        "overlay", "job", "catalog_item", "review", "fidelity",
        "index", "attempt", "width", "height", "seed", "parameters",
    ]  # fmt: skip
    fields = readonly_fields
    Media = JobsMedia
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # reviewed with the actions here or on the catalog item's gallery

    @admin.display(description="Image")
    def preview(self, image):
        return thumbnail(image.file)

    @admin.display(description="Review")
    def review(self, image):
        return review_state(image).capitalize()

    @admin.display(description="Fidelity")
    def fidelity(self, image):
        return image_scores(image)

    @admin.display(description="Image and garment region")
    def overlay(self, image):
        return mask_overlay(image)

    @admin.action(description="Approve the selected images")
    def approve(self, request, queryset):
        for image in queryset:
            generated_image_approve(image=image)
        self.message_user(request, f"{len(queryset)} images approved.")

    @admin.action(description="Reject the selected images")
    def reject(self, request, queryset):
        for image in queryset:
            generated_image_reject(image=image)
        self.message_user(request, f"{len(queryset)} images rejected.")
