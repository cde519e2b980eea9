"""The merchant admin's casting: "Cast new models…" on the fashion models' list opens the brief; the casting's
page shows the candidates as they arrive, each kept under a name as a fashion model."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from tryon.casting.forms import CastingForm, KeepForm
from tryon.casting.models import Casting, CastingCandidate
from tryon.casting.selectors import casting_state
from tryon.casting.services import CastingStateError, casting_candidate_keep, casting_create, casting_purge
from tryon.catalog.admin_display import thumbnail
from tryon.merchants.scoping import MerchantScopedAdmin, merchant_of

REFRESH_SECONDS = 3  # the casting page reloads itself while candidates are still rendering


def brief_summary(casting: Casting) -> str:
    wanted = casting.attributes
    parts = [wanted["gender_presentation"], wanted["age_range"], wanted["body_type"], f"{wanted['skin_tone']} skin"]
    if wanted.get("height_cm"):
        parts.append(f"{wanted['height_cm']} cm")
    hair = " ".join(part for part in (wanted.get("hair_style"), wanted.get("hair_colour")) if part)
    parts += [f"{hair} hair"] if hair else []
    parts += [f"“{wanted['note']}”"] if wanted.get("note") else []
    return ", ".join(parts)


@admin.register(Casting)
class CastingAdmin(MerchantScopedAdmin):
    list_display = ["number", "brief", "count", "status", "created_at"]
    list_display_links = ["number"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("candidates__portrait_job", "candidates__full_body_job")

    @admin.display(description="Casting", ordering="id")
    def number(self, casting):
        return f"#{casting.id}"

    @admin.display(description="Brief")
    def brief(self, casting):
        return brief_summary(casting)

    @admin.display(description="Status")
    def status(self, casting):
        state = casting_state(casting)
        return f"{state['status'].capitalize()} ({round(state['progress'] * 100)} %)"

    def has_change_permission(self, request, obj=None):
        return False  # a casting is not edited: its page shows the candidates, kept through their own form

    def delete_model(self, request, obj):
        casting_purge(casting=obj, everything=True)  # its candidates' and jobs' files too

    def delete_queryset(self, request, queryset):
        for casting in queryset:
            casting_purge(casting=casting, everything=True)

    def get_urls(self):
        keep = self.admin_site.admin_view(require_POST(self.keep_view))
        return [path("<int:object_id>/keep/", keep, name="casting_casting_keep"), *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        merchant = merchant_of(request)
        form = CastingForm(request.POST or None)
        if request.method == "POST" and merchant is None:
            form.add_error(None, "Only a merchant's staff cast models, for their own shop.")
        elif request.method == "POST" and form.is_valid():
            try:
                casting = casting_create(
                    merchant=merchant, attributes=form.attributes(), count=form.cleaned_data["count"]
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                self.log_addition(request, casting, [{"added": {}}])
                self.message_user(request, f"Casting #{casting.id}: {casting.count} candidates are being rendered.")
                return redirect(reverse("admin:casting_casting_change", args=[casting.id]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Cast new models",
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/casting/casting/cast.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        casting = self.get_object(request, object_id)
        if casting is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, casting):
            raise PermissionDenied
        state = casting_state(casting)
        candidates = [
            {
                "candidate": candidate,
                "state": candidate_state,
                "portrait": thumbnail(candidate.portrait, 200, alt=f"Candidate {candidate.index + 1}, portrait"),
                "full_body": thumbnail(candidate.full_body, 200, alt=f"Candidate {candidate.index + 1}, full body"),
                "percent": round(candidate_state.progress * 100),
            }
            for candidate, candidate_state in sorted(state["candidates"].items(), key=lambda item: item[0].index)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Casting #{casting.id}",
            "casting": casting,
            "brief": brief_summary(casting),
            "state": state,
            "percent": round(state["progress"] * 100),
            "candidates": candidates,
            "refresh": REFRESH_SECONDS if state["status"] in ("queued", "running") else None,
            "keep_url": reverse("admin:casting_casting_keep", args=[casting.id]),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/casting/casting/casting.html", context)

    def keep_view(self, request, object_id):
        casting = self.viewable_object_or_404(request, object_id)
        form = KeepForm(request.POST)
        back = redirect(reverse("admin:casting_casting_change", args=[casting.id]))
        if not form.is_valid():
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
            self.message_user(request, f"Nothing kept. {problems}", messages.ERROR)
            return back
        candidate = CastingCandidate.objects.filter(casting=casting, pk=form.cleaned_data["candidate"]).first()
        if candidate is None:
            self.message_user(request, "Nothing kept: no such candidate in this casting.", messages.ERROR)
            return back
        try:
            fashion_model = casting_candidate_keep(candidate=candidate, name=form.cleaned_data["name"])
        except ValidationError as error:
            self.message_user(request, f"Nothing kept. {' '.join(error.messages)}", messages.ERROR)
            return back
        except CastingStateError as error:
            self.message_user(request, f"Nothing kept. {error}", messages.ERROR)
            return back
        link = reverse("admin:catalog_fashionmodel_change", args=[fashion_model.id])
        self.message_user(request, format_html('Kept as <a href="{}">{}</a>.', link, fashion_model.name))
        return back
