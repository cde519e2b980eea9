"""Tenant isolation of the pages, generated from the URLconf and the admin registry: one merchant's staff,
signed in, call every shop page, every admin view (lists, add, change, delete, history, each admin's own
views such as cut-out previews, pose skeletons and batch progress), every site-wide admin view and every
admin action, with another merchant's ids. They see nothing of the other merchant and change nothing of
theirs; the same addresses with their own ids work, so each case can fail.

A new shop page, admin, admin view or action joins the matrix by itself and fails here until it is scoped,
or until this file knows how to fill its URL parameters (SHOP_PARAMS, ADMIN_PARAMS) and which rows of a
merchant it shows (ROWS). (The API has its own matrix: tests/tryon/api/test_isolation.py.)
"""

import hashlib
import io
import re
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver
from PIL import Image, ImageDraw

from tests.factories import (
    CatalogItemFactory,
    FashionModelFactory,
    GarmentFactory,
    MerchantFactory,
    PoseFactory,
    SceneFactory,
    StaffFactory,
)
from tests.tryon.casting.stories import cast_ready
from tests.tryon.gallery import finished_job
from tryon.casting.models import Casting
from tryon.catalog.admin import GALLERY_ACTIONS
from tryon.catalog.cutouts import KINDS
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.jobs.models import GeneratedImage, TryOnBatch, TryOnJob
from tryon.jobs.services import tryon_job_create
from tryon.media.signing import signed_url
from tryon.merchants.models import Merchant, User
from tryon.webhooks.models import WebhookSigningSecret
from tryon.webhooks.services import webhook_signing_secret_get

pytestmark = pytest.mark.django_db

MARK = "THEIRS"  # in a text of every row of the other merchant: it must never show on our staff's pages


def garment_photo(name="dress.png") -> ContentFile:
    """A garment on a plain background, so its cut-out preview exists (our own must answer 200)."""
    photo = Image.new("RGB", (300, 400), "white")
    ImageDraw.Draw(photo).polygon([(90, 40), (210, 40), (270, 360), (30, 360)], fill="#b0242e")
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=name)


class Tenant:
    """A merchant with a row of every kind, each carrying `label` in a text, and a signed-in staff member."""

    def __init__(self, label: str):
        merchant = self.merchant = MerchantFactory(name=f"{label} boutique")
        self.staff = StaffFactory(merchant=merchant, username=f"{label.lower()}-staff")
        self.garment = GarmentFactory(merchant=merchant, name=f"{label} silk dress", image=garment_photo())
        self.shop = {
            "merchant": merchant,
            "catalog_item": CatalogItemFactory(merchant=merchant, title=f"{label} dress", garments=[self.garment]),
            "fashion_model": FashionModelFactory(
                merchant=merchant,
                name=f"{label} model",
                reference_photo=garment_photo("person.png"),
                reference_photo_sha256=hashlib.sha256(garment_photo().read()).hexdigest(),
            ),
            "pose": PoseFactory(merchant=merchant, name=f"{label} pose"),
            "scene": SceneFactory(merchant=merchant, name=f"{label} scene", prompt=f"{label} beach at dusk"),
        }
        self.job = finished_job(self.shop, seed=1)
        self.image = self.job.images.get()
        self.failed = finished_job(self.shop, seed=2, status="failed", error=f"{label} secret failure")
        self.queued = tryon_job_create(**self.shop, seed=3, enqueue=False)
        self.batch = TryOnBatch.objects.create(merchant=merchant, preset=self.job.preset)
        self.batch.jobs.set([self.job, self.failed, self.queued])
        self.casting = cast_ready(merchant, note=f"{label} look")  # its candidates ready to keep
        self.group = Group.objects.create(name=f"{label} group")  # operators' business: never a merchant's
        webhook_signing_secret_get(merchant=merchant)  # verifies its `webhook_url` deliveries; operators only
        self.signing_secret = WebhookSigningSecret.objects.get(merchant=merchant)
        self.client = Client()
        self.client.force_login(self.staff)

    def __getitem__(self, name):
        return self.shop[name]


# Every model the admin shows, and a merchant's rows of it; the first is the one put in URLs.
ROWS = {
    Merchant: lambda t: [t.merchant],
    User: lambda t: [t.staff],
    Group: lambda t: [t.group],
    Garment: lambda t: [t.garment],
    CatalogItem: lambda t: [t["catalog_item"]],
    FashionModel: lambda t: [t["fashion_model"]],
    Pose: lambda t: [t["pose"]],
    Scene: lambda t: [t["scene"]],
    TryOnJob: lambda t: [t.job, t.failed, t.queued],
    TryOnBatch: lambda t: [t.batch],
    GeneratedImage: lambda t: [t.image],
    WebhookSigningSecret: lambda t: [t.signing_secret],
    Casting: lambda t: [t.casting],
}


def snapshot(tenant: Tenant) -> dict:
    """Every row of the tenant's, as stored (fields and many-to-many), and how many rows there are of all."""
    rows = {
        model._meta.label: serializers.serialize("json", model.objects.filter(pk__in=[r.pk for r in rows_of(tenant)]))
        for model, rows_of in ROWS.items()
    }
    counts = {model._meta.label: model.objects.count() for model in [*ROWS, LogEntry]}
    return {"rows": rows, "counts": counts}


def nothing_of_theirs_in(response, theirs: Tenant):
    content = response.content if not getattr(response, "streaming", False) else b"".join(response.streaming_content)
    assert MARK.encode() not in content, f"{response.request['PATH_INFO']} shows the other merchant's rows"
    candidate = theirs.casting.candidates.get()
    for file in (
        theirs.image.file,
        theirs.garment.image,
        theirs["fashion_model"].reference_photo,
        candidate.portrait,
        candidate.full_body,
    ):
        assert file.name.encode() not in content, f"a link to the other merchant's {file.name}"


def may_use(model_admin, staff) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = staff
    return model_admin.has_module_permission(request)


# --- The admin: every URL of every registered ModelAdmin ---


def admin_routes() -> list[tuple[type, str, str]]:
    """(model, name, route from the root) for every URL each registered admin serves."""
    routes = []
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        routes += [(model, pattern.name or "redirect", prefix + str(pattern.pattern)) for pattern in model_admin.urls]
    return routes


ADMIN_ROUTES = admin_routes()
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

# URL parameters of admin views: the values to try, from a tenant and the row of the admin's model.
ADMIN_PARAMS = {
    "object_id": lambda t, row: [row.pk],
    "id": lambda t, row: [row.pk],  # UserAdmin's password change
    "kind": lambda t, row: list(KINDS),
    "image_id": lambda t, row: [t.image.pk],
    "action": lambda t, row: list(GALLERY_ACTIONS),
}
ROW_PARAMS = {"object_id", "id"}


def admin_urls(route: str, row_tenant: Tenant, row, other_tenant: Tenant | None = None) -> list[str]:
    """The route with every combination of parameter values; ids other than the row's from `other_tenant`."""
    urls = ["/" + route]
    for name in PARAM.findall(route):
        if name not in ADMIN_PARAMS:
            pytest.fail(f"{route}: teach this test the URL parameter {name!r} (ADMIN_PARAMS)")
        tenant = row_tenant if name in ROW_PARAMS or other_tenant is None else other_tenant
        values = ADMIN_PARAMS[name](tenant, row)
        pattern = re.compile(rf"<(?:\w+:)?{name}>")
        urls = [pattern.sub(str(value), url, count=1) for url in urls for value in values]
    return urls


def test_the_matrix_knows_every_model_the_admin_shows():
    assert set(admin.site._registry) == set(ROWS), "teach ROWS the rows of a new admin's model"
    custom = {name for _model, name, _route in ADMIN_ROUTES} - {"redirect"}
    assert {"catalog_garment_preview", "catalog_pose_skeleton", "jobs_tryonbatch_progress"} <= custom
    assert "catalog_catalogitem_gallery" in custom
    assert "merchants_merchant_shop_settings" in custom  # staff's own shop settings (test_shop_settings.py)


REFUSED = (403, 404, 405)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("model", "name", "route"), ADMIN_ROUTES, ids=[name for _m, name, _r in ADMIN_ROUTES])
def test_no_admin_view_shows_or_changes_another_merchants_rows(model, name, route, method):
    ours, theirs = Tenant("OURS"), Tenant(MARK)
    model_admin = admin.site._registry[model]
    their_row, our_row = ROWS[model](theirs)[0], ROWS[model](ours)[0]
    before = snapshot(theirs)
    data = {"post": "yes", "name": "renamed", "title": "renamed", "_save": "Save"} if method == "post" else {}

    urls = admin_urls(route, theirs, their_row)
    if len(set(PARAM.findall(route)) - ROW_PARAMS - {"kind", "action"}):  # our row, their image, say
        urls += admin_urls(route, ours, our_row, other_tenant=theirs)
    for url in urls:
        response = getattr(ours.client, method)(url, data, follow=True)

        nothing_of_theirs_in(response, theirs)
        if not PARAM.findall(route):  # the list, the add form: ours only, or none at all
            assert response.status_code in (200, 403), url
        elif response.status_code == 200:  # "doesn't exist": sent back to the admin's home page
            assert response.redirect_chain and response.redirect_chain[-1][0] == "/admin/", url
        else:
            assert response.status_code in REFUSED, (url, response.status_code)
    assert snapshot(theirs) == before, f"{method.upper()} {route} changed the other merchant's rows"

    if PARAM.findall(route) and may_use(model_admin, ours.staff):  # and our own row's page works
        url = admin_urls(route, ours, our_row)[0]
        own = ours.client.get(url, follow=True)
        assert own.status_code in (200, 405), (url, own.status_code)  # 405: a POST-only view (gallery review)
        assert not own.redirect_chain or own.redirect_chain[-1][0] != "/admin/", f"{url}: our own row not found"


# --- The admin's actions, on another merchant's rows ---


def admin_actions() -> list[tuple[type, str]]:
    """Every action of every admin, as an operator (who may use them all) sees them."""
    request = RequestFactory().get("/admin/")
    request.user = User(username="operator", is_active=True, is_staff=True, is_superuser=True)
    return [
        (model, action)
        for model, model_admin in admin.site._registry.items()
        for action in model_admin.get_actions(request)
    ]


ADMIN_ACTIONS = admin_actions()


def action_post(tenant: Tenant, model, action: str, picks_from: Tenant) -> dict:
    """An action on the tenant's rows, confirmed, with whatever its intermediate page asks for."""
    return {
        "action": action,
        "_selected_action": [row.pk for row in ROWS[model](tenant)],
        "index": "0",
        "post": "yes",  # delete_selected's confirmation
        "render": "1",  # render_previews' form: the picks
        "fashion_models": [picks_from["fashion_model"].pk],
        "poses": [picks_from["pose"].pk],
        "scenes": [picks_from["scene"].pk],
        "samples": "1",
    }


def test_the_matrix_knows_the_actions_that_matter():
    names = {action for _model, action in ADMIN_ACTIONS}
    assert {"delete_selected", "render_previews", "approve", "reject", "retry_jobs", "cancel_jobs"} <= names


@pytest.mark.parametrize(("model", "action"), ADMIN_ACTIONS, ids=[f"{m._meta.label} {a}" for m, a in ADMIN_ACTIONS])
def test_no_admin_action_touches_another_merchants_rows(model, action):
    ours, theirs = Tenant("OURS"), Tenant(MARK)
    changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    before = snapshot(theirs)

    for picks_from in (theirs, ours):  # their rows with their picks, and with ours
        response = ours.client.post(changelist, action_post(theirs, model, action, picks_from), follow=True)

        assert response.status_code in (200, 403)
        nothing_of_theirs_in(response, theirs)
    assert snapshot(theirs) == before, f"{action} on {model._meta.label} changed the other merchant's rows"

    if may_use(admin.site._registry[model], ours.staff):  # and the action does act, on our own rows
        mine = snapshot(ours)
        response = ours.client.post(changelist, action_post(ours, model, action, ours), follow=True)
        assert response.status_code == 200
        assert snapshot(ours) != mine, f"{action} on our own {model._meta.label} did nothing: the case proves nothing"


# --- The admin site's own views ---


def site_routes() -> dict[str, str]:
    return {
        pattern.name: str(pattern.pattern)
        for pattern in admin.site.get_urls()
        if not isinstance(pattern, URLResolver) and pattern.name
    }


def autocomplete_urls() -> list[str]:
    """One per foreign key or many-to-many field of every admin's model whose target has an admin."""
    urls = []
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model in admin.site._registry:
                query = {"app_label": model._meta.app_label, "model_name": model._meta.model_name}
                urls.append(f"/admin/autocomplete/?{urlencode({**query, 'field_name': field.name, 'term': ''})}")
    return urls


SITE_URLS = {
    "index": lambda t: ["/admin/"],
    "login": lambda t: ["/admin/login/"],
    "logout": lambda t: ["/admin/logout/"],
    "password_change": lambda t: ["/admin/password_change/"],
    "password_change_done": lambda t: ["/admin/password_change/done/"],
    "jsi18n": lambda t: ["/admin/jsi18n/"],
    "app_list": lambda t: sorted({f"/admin/{model._meta.app_label}/" for model in admin.site._registry}),
    "autocomplete": lambda t: autocomplete_urls(),
    "view_on_site": lambda t: [
        f"/admin/r/{ContentType.objects.get_for_model(model).id}/{rows(t)[0].pk}/" for model, rows in ROWS.items()
    ],
}


def test_no_site_wide_admin_view_shows_another_merchants_rows():
    assert set(site_routes()) == set(SITE_URLS), "teach SITE_URLS a new site-wide admin view"
    ours, theirs = Tenant("OURS"), Tenant(MARK)
    # By model: ids of different tables are different things, and may well be equal numbers
    their_ids = {model: {str(row.pk) for row in rows(theirs)} for model, rows in ROWS.items()}
    before = snapshot(theirs)

    for name, urls in SITE_URLS.items():
        for url in urls(theirs):
            response = ours.client.get(url)  # not followed: a redirect out of the admin is not the admin's page

            assert response.status_code in (200, 302, 403, 404, 405), url
            nothing_of_theirs_in(response, theirs)
            if name == "autocomplete" and response.status_code == 200:
                query = response.wsgi_request.GET
                field = apps.get_model(query["app_label"], query["model_name"])._meta.get_field(query["field_name"])
                found = {result["id"] for result in response.json()["results"]}
                assert not found & their_ids[field.related_model], url
            if name == "view_on_site":
                assert response.status_code == 404, url
    assert snapshot(theirs) == before


# --- The shop: every page that is not the API's or the admin's ---


OPERATIONS = ("healthz", "readyz", "metrics")  # for operators, no merchant's rows: test_health.py, test_metrics.py
# The client-compatible APIs authenticate by storefront key like /api/: their isolation is tested in
# tests/tryon/fashn and tests/tryon/a1111.
COMPATIBLE_APIS = ("v1/", "sdapi/", "controlnet/")


def shop_routes(patterns=None, seen="") -> list[tuple[str, str]]:
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = seen + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(("admin/", "api/", *COMPATIBLE_APIS)):
                namespace = f"{pattern.namespace}:" if pattern.namespace else ""
                routes += [(namespace + name, r) for name, r in shop_routes(pattern.url_patterns, route)]
        elif not route.startswith(("admin/", "api/", *COMPATIBLE_APIS, *OPERATIONS)):
            routes.append((pattern.name, route))
    return routes


SHOP_ROUTES = shop_routes()
SHOP_PARAMS = {
    "merchant_slug": lambda t: t.merchant.slug,
    "item_id": lambda t: t["catalog_item"].pk,
    "job_id": lambda t: t.job.pk,
    "pose_id": lambda t: t["pose"].pk,
    "name": lambda t: t.image.file.name,
}
# What any shopper may see of any shop: the catalog, a product, a pose's skeleton, the "Your model" page (which
# shows only the session's own model: tests/tryon/test_shop_your_model.py).
PUBLIC = {"shop:home", "shop:catalog", "shop:product", "shop:pose-skeleton", "shop:your-model", "shop:your-photo"}
# Ours, shown to us; for a signed file link, the signature is what lets one in, not who asks.
OWN_QUERY = {"media:file": lambda t: "?" + signed_url(t.image.file).split("?")[1]}


def shop_url(route: str, tenant: Tenant, ids_from: Tenant | None = None) -> str:
    url = "/" + route
    for name in PARAM.findall(route):
        if name not in SHOP_PARAMS:
            pytest.fail(f"{route}: teach this test the URL parameter {name!r} (SHOP_PARAMS)")
        source = tenant if name == "merchant_slug" or ids_from is None else ids_from
        url = re.sub(rf"<(?:\w+:)?{name}>", str(SHOP_PARAMS[name](source)), url, count=1)
    return url


def test_the_matrix_covers_every_shop_page():
    names = {name for name, _route in SHOP_ROUTES}
    assert {"shop:tryon", "shop:tryon-status", "media:file", *PUBLIC} <= names


@pytest.mark.parametrize(("name", "route"), SHOP_ROUTES, ids=[name for name, _route in SHOP_ROUTES])
def test_merchant_staff_see_another_merchants_shop_only_as_any_shopper_does(name, route):
    ours, theirs = Tenant("OURS"), Tenant(MARK)
    url = shop_url(route, theirs)

    response = ours.client.get(url)

    if name in PUBLIC:
        assert response.status_code == Client().get(url).status_code == 200
    else:
        assert response.status_code in (403, 404), (url, response.status_code)
        nothing_of_theirs_in(response, theirs)
        own = shop_url(route, ours) + OWN_QUERY.get(name, lambda t: "")(ours)
        assert ours.client.get(own).status_code == 200, f"{own}: our own page must work, or the case proves nothing"
    if PARAM.findall(route) != ["merchant_slug"] and "merchant_slug" in PARAM.findall(route):
        mixed = shop_url(route, ours, ids_from=theirs)  # our shop's address, their row's id
        assert ours.client.get(mixed).status_code == 404, mixed
