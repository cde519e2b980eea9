"""Uploads and renders are reachable only by the signed, expiring links pages and the API hand out:
walking job ids or file names finds nothing, a link stops working when it expires, and a storefront
plugin can download every image URL the API gives it."""

import html
import io
import json
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from tests.tryon.gallery import finished_job
from tests.tryon.links import link_path
from tryon.api.services import storefront_key_create
from tryon.jobs.gallery import generated_image_approve
from tryon.jobs.selectors import tryon_job_status
from tryon.media import signing
from tryon.media.signing import catalog_image_url, signed_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def render(shop):
    return finished_job(shop, seed=1).images.get()


def expiry_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["expires"][0])


def body_of(answer) -> bytes:
    return b"".join(answer.streaming_content) if answer.streaming else answer.content


def test_a_render_is_served_by_its_signed_link_and_by_nothing_else(client, render):
    url = signed_url(render.file)

    answer = client.get(url)

    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert body_of(answer) == default_storage.open(render.file.name).read()
    assert "private" in answer["Cache-Control"]  # shared caches keep no copy
    assert client.get(link_path(render.file)).status_code == 403  # no signature
    assert client.get(f"/media/{render.file.name}").status_code == 404  # the old public route is gone
    assert client.post(url).status_code == 405


def test_walking_job_ids_with_a_valid_signature_finds_nothing(client, shop):
    mine = finished_job(shop, seed=1).images.get()
    next_one = finished_job(shop, seed=2).images.get()
    query = urlsplit(signed_url(mine.file)).query

    assert client.get(f"{link_path(mine.file)}?{query}").status_code == 200
    assert client.get(f"{link_path(next_one.file)}?{query}").status_code == 403  # the signature covers the name
    tampered = re.sub(r"signature=[^&]+", "signature=AAAA", query)
    assert client.get(f"{link_path(mine.file)}?{tampered}").status_code == 403


def test_a_link_stops_working_when_it_expires_and_its_expiry_cannot_be_moved(client, render, monkeypatch):
    url = signed_url(render.file, ttl=60)
    expires = expiry_of(url)
    assert client.get(url).status_code == 200

    monkeypatch.setattr(signing, "_now", lambda: expires + 1)
    expired = client.get(url)
    later = url.replace(f"expires={expires}", f"expires={expires + 3600}")

    assert expired.status_code == 403 and b"expired" in expired.content
    assert client.get(later).status_code == 403


def test_a_valid_link_to_a_file_that_is_gone_is_not_found(client, render):
    url = signed_url(render.file)
    default_storage.delete(render.file.name)

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("accel", ["nginx", "sendfile"])
def test_behind_a_proxy_the_app_checks_the_link_and_the_proxy_sends_the_file(client, render, settings, accel):
    settings.TRYON_MEDIA_ACCEL = accel

    answer = client.get(signed_url(render.file))
    refused = client.get(link_path(render.file))

    assert answer.status_code == 200 and answer["Content-Type"] == "image/png" and answer.content == b""
    if accel == "nginx":
        assert answer["X-Accel-Redirect"] == f"/protected-media/{render.file.name}"
    else:
        assert answer["X-Sendfile"] == default_storage.path(render.file.name)
    assert refused.status_code == 403 and "X-Accel-Redirect" not in refused and "X-Sendfile" not in refused


def test_pages_and_job_status_link_only_signed_urls_that_open(client, shop, render):
    generated_image_approve(image=render)
    merchant, item = shop["merchant"], shop["catalog_item"]

    pages = [client.get(f"/shop/{merchant.slug}/"), client.get(f"/shop/{merchant.slug}/items/{item.id}/")]
    status = tryon_job_status(render.job)

    links = [
        html.unescape(src) for page in pages for src in re.findall(r'<img [^>]*src="([^"]+)"', page.content.decode())
    ]
    files = [link for link in links if "/skeleton.png" not in link]  # skeletons are drawn, not stored
    assert link_path(render.file) in {link.split("?")[0] for link in files}
    assert not any(link.startswith("/media/") for link in links)
    for link in [*files, *status["images"]]:
        assert client.get(link).status_code == 200, link


def test_approved_images_of_a_merchant_publishing_its_catalog_get_long_lived_links(shop, render, settings):
    merchant = shop["merchant"]
    waiting = finished_job(shop, seed=2).images.get()
    generated_image_approve(image=render)
    render.refresh_from_db()
    short, long = settings.TRYON_MEDIA_URL_SECONDS, settings.TRYON_MEDIA_PUBLIC_URL_SECONDS

    def lifetime(image) -> int:
        return expiry_of(catalog_image_url(image, merchant=merchant)) - int(signing._now())

    assert lifetime(render) <= short * 1.1  # by default nothing is long-lived
    merchant.public_catalog_images = True
    assert long * 0.99 <= lifetime(render) <= long * 1.1
    assert lifetime(waiting) <= short * 1.1  # a render awaiting review never is


@pytest.mark.django_db(transaction=True)
def test_a_plugin_downloads_every_image_url_the_api_gives_it(live_server, shop):
    render = finished_job(shop, seed=1).images.get()
    generated_image_approve(image=render)
    _row, key = storefront_key_create(merchant=shop["merchant"], name="Plugin")

    def api(path: str) -> dict:
        request = urllib.request.Request(f"{live_server.url}/api/v1/{path}", headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    tryon = api(f"tryons/{render.job_id}")
    item = api(f"catalog-items/{shop['catalog_item'].id}")
    garment = api(f"garments/{item['garment_ids'][0]}")
    urls = [tryon["images"][0]["url"], item["gallery"][0]["url"], garment["image_url"]]

    for url in urls:
        assert url.startswith(f"{live_server.url}/files/"), url
        with urllib.request.urlopen(url, timeout=30) as answer:  # a plain HTTP client: no cookie, no key
            assert answer.headers["Content-Type"] in ("image/png", "image/jpeg")
            Image.open(io.BytesIO(answer.read())).verify()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urls[0].split("?")[0], timeout=30)
    assert refused.value.code == 403


def test_a_link_asked_for_again_is_the_same_one_signed_once_and_follows_the_key_and_the_prefix(
    render, monkeypatch, settings
):
    from django.urls import set_script_prefix

    signed = []
    sign = signing._signature
    monkeypatch.setattr(signing, "_signature", lambda *args, **kwargs: signed.append(args) or sign(*args, **kwargs))
    signing._file_link.cache_clear()

    first, again = signed_url(render.file), signed_url(render.file)
    assert first == again and len(signed) == 1  # a page of the same images signs each once

    settings.SECRET_KEY = "another-key-" * 5  # a rotated key: links made with the old one are not handed out
    rotated = signed_url(render.file)
    assert rotated != first and len(signed) == 2
    for url in (first, rotated):
        signature = parse_qs(urlsplit(url).query)["signature"][0]
        assert signing.verify(render.file.name, str(expiry_of(url)), signature).ok == (url == rotated)

    set_script_prefix("/shop/")  # served under a path prefix (SCRIPT_NAME): its links carry it
    try:
        assert signed_url(render.file).startswith("/shop/files/")
    finally:
        set_script_prefix("/")
