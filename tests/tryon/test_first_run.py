"""A newcomer types `make run`: the preset's weights are fetched on first use, or, offline, the terminal and the
shop and admin pages say that they are missing and how to get them."""

import html
import io
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from huggingface_hub import constants as hub_constants

from generation.presets import models_dir

HOW_TO_GET = "python manage.py tryon_models pull sd15"
OFFLINE_DEMO = "make run TRYON_PRESET=tiny"


class FakeHub:
    """Stands in for the Hugging Face Hub: answers 404 to everything and remembers what was asked."""

    def __init__(self):
        asked = self.asked = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                asked.append(f"{self.command} {self.path}")
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(b'{"error": "Repository not found"}')

            do_GET = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure(tmp_path: Path, *, offline: bool, endpoint: str, **env) -> subprocess.CompletedProcess:
    """`manage.py tryon_models ensure` as `make run` calls it, on a machine with no weights at all."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("TRYON_", "HF_"))}
    clean |= {
        "DJANGO_SETTINGS_MODULE": "tryon.settings",
        "TRYON_VAR_DIR": str(tmp_path / "var"),
        "TRYON_MODELS_DIR": str(tmp_path / "models"),
        "HF_HOME": str(tmp_path / "hf"),
        "HF_ENDPOINT": endpoint,
        "HF_HUB_OFFLINE": "1" if offline else "0",
        "TRYON_PRESET": "sd15",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "tryon_models", "ensure"],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def downloaded(tmp_path: Path) -> list[Path]:
    return [path for path in (tmp_path / "hf").rglob("*") if path.is_file()]


def test_offline_the_start_says_the_weights_are_missing_and_how_to_get_them_without_downloading(tmp_path):
    with FakeHub() as hub:
        result = ensure(tmp_path, offline=True, endpoint=hub.url)

    assert result.returncode == 0, result.stderr  # the shop still starts, with the banner
    assert "sd15: cannot get its weights now: HF_HUB_OFFLINE=1" in result.stderr
    assert "base model 'stable-diffusion-v1-5/stable-diffusion-v1-5': not in the Hugging Face cache" in result.stderr
    assert HOW_TO_GET in result.stderr and OFFLINE_DEMO in result.stderr
    assert hub.asked == [] and downloaded(tmp_path) == []


def test_a_machine_that_cannot_reach_the_hub_says_so_at_once(tmp_path):
    result = ensure(tmp_path, offline=False, endpoint=f"http://127.0.0.1:{closed_port()}")

    assert result.returncode == 0, result.stderr
    assert "did not answer within 3 s (ConnectionError)" in result.stderr
    assert HOW_TO_GET in result.stderr and downloaded(tmp_path) == []


def test_online_the_first_start_pulls_the_presets_weights(tmp_path):
    with FakeHub() as hub:
        result = ensure(tmp_path, offline=False, endpoint=hub.url)

    assert "sd15: first run: downloading its weights" in result.stdout
    assert "base model: downloading stable-diffusion-v1-5/stable-diffusion-v1-5" in result.stdout
    assert any("stable-diffusion-v1-5/stable-diffusion-v1-5" in request for request in hub.asked), hub.asked
    # This hub has nothing: the download fails, and the start goes on with the same advice as offline.
    assert "download failed" in result.stderr and HOW_TO_GET in result.stderr


def test_with_the_weights_here_the_start_does_nothing(tmp_path):
    call_command("tryon_models", "pull", "tiny", stdout=io.StringIO(), stderr=io.StringIO())
    local = {"TRYON_SD15_BASE": str(models_dir() / "tiny" / "base")}
    local["TRYON_SD15_OPENPOSE"] = str(models_dir() / "tiny" / "controlnet-openpose")

    with FakeHub() as hub:
        result = ensure(tmp_path, offline=False, endpoint=hub.url, **local)
        tiny = ensure(tmp_path, offline=False, endpoint=hub.url, TRYON_PRESET="tiny")

    assert (result.returncode, result.stdout, result.stderr) == (0, "sd15: weights are here\n", "")
    assert tiny.stdout == "tiny: weights are here\n"
    assert hub.asked == []


def half_pulled(tmp_path: Path, monkeypatch) -> None:
    """A Hugging Face cache as a pull interrupted after each repo's first file leaves it: the index, no weights."""
    from generation import get_preset
    from generation.sources import weight_sources

    monkeypatch.delenv("TRYON_SD15_BASE", raising=False)
    monkeypatch.delenv("TRYON_SD15_OPENPOSE", raising=False)
    for weights in weight_sources(get_preset("sd15")):
        if weights.is_hub and not weights.optional:
            repo = tmp_path / "hf" / "hub" / f"models--{weights.value.replace('/', '--')}"
            (repo / "refs").mkdir(parents=True, exist_ok=True)
            (repo / "refs" / (weights.revision or "main")).write_text("0" * 40)
            snapshot = repo / "snapshots" / ("0" * 40)
            snapshot.mkdir(parents=True, exist_ok=True)
            (snapshot / weights.index).write_text("{}")


def test_a_start_interrupted_mid_download_resumes_the_pull_next_time(tmp_path, monkeypatch):
    half_pulled(tmp_path, monkeypatch)

    with FakeHub() as hub:
        result = ensure(tmp_path, offline=False, endpoint=hub.url)

    assert "weights are here" not in result.stdout
    assert "sd15: first run: downloading its weights" in result.stdout
    assert any("stable-diffusion-v1-5/stable-diffusion-v1-5" in request for request in hub.asked), hub.asked
    assert "the last pull did not finish" in result.stderr and HOW_TO_GET in result.stderr


def test_make_run_makes_sure_of_the_weights_before_it_starts_the_worker():
    planned = subprocess.run(
        ["make", "-n", "run"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout
    ensure_at = planned.index("manage.py tryon_models ensure")
    assert ensure_at < planned.index("celery -A tryon worker") and ensure_at < planned.index("runserver")


@pytest.fixture
def no_hub_cache(tmp_path, monkeypatch, settings):
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("TRYON_SD15_BASE", raising=False)
    monkeypatch.delenv("TRYON_SD15_OPENPOSE", raising=False)
    settings.TRYON_WEIGHTS_BANNER = True


BANNER = "The weights of the preset 'sd15' are not on this machine"


@pytest.mark.django_db
@pytest.mark.usefixtures("no_hub_cache")
def test_shop_and_admin_pages_show_a_banner_while_the_presets_weights_are_missing(client, staff_client, shop, settings):
    settings.TRYON_PRESET = "sd15"
    pages = [
        client.get(f"/shop/{shop['merchant'].slug}/"),
        client.get(f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/"),
        staff_client.get("/admin/"),
        staff_client.get("/admin/catalog/garment/"),
    ]

    for page in pages:
        assert page.status_code == 200
        text = html.unescape(page.content.decode())
        assert BANNER in text and "tryon_models pull sd15" in text and OFFLINE_DEMO in text


@pytest.mark.django_db
@pytest.mark.usefixtures("no_hub_cache")
def test_no_banner_for_tiny_or_where_it_is_switched_off(client, staff_client, shop, settings):
    settings.TRYON_PRESET = "tiny"
    catalog = f"/shop/{shop['merchant'].slug}/"
    assert "weights-banner" not in client.get(catalog).content.decode()
    assert "weights-banner" not in staff_client.get("/admin/").content.decode()

    settings.TRYON_PRESET, settings.TRYON_WEIGHTS_BANNER = "sd15", False  # production web machines hold no weights
    assert "weights-banner" not in client.get(catalog).content.decode()
