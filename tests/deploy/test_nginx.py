"""The compose file's nginx lets through every body the app itself bounds, so the client is refused in its own
error shape (FASHN's, A1111's) and not by nginx's HTML 413; A1111 renders wait past their timeout; and the GPU
workers serve their memory metrics where Prometheus can scrape them."""

import re

from django.conf import settings

from tests.deploy.checks import DEPLOY, load_compose, load_unit

UNITS = {"k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024}


def nginx_body_limit(text: str) -> int:
    number, unit = re.search(r"^\s*client_max_body_size\s+(\d+)([kmg]?)\s*;", text, re.MULTILINE | re.I).groups()
    return int(number) * UNITS.get(unit.lower(), 1)


def location(text: str, prefix: str) -> str:
    return re.search(rf"location {re.escape(prefix)} \{{(.*?)\}}", text, re.DOTALL).group(1)


def test_nginx_passes_every_body_the_app_answers_for_itself():
    limit = nginx_body_limit((DEPLOY / "nginx.conf").read_text())
    largest = max(
        settings.TRYON_SDAPI_MAX_BODY_BYTES, settings.TRYON_FASHN_MAX_BODY_BYTES, settings.TRYON_UPLOAD_MAX_BYTES
    )

    assert limit > largest
    assert nginx_body_limit("client_max_body_size 25m;") < largest  # the shipped value this check caught


def test_a1111_renders_are_proxied_past_their_own_timeout():
    sdapi = location((DEPLOY / "nginx.conf").read_text(), "/sdapi/")
    seconds = int(re.search(r"proxy_read_timeout (\d+)s;", sdapi).group(1))

    assert "proxy_pass http://web:8000;" in sdapi and seconds > settings.TRYON_SDAPI_TIMEOUT


def test_gpu_workers_serve_their_metrics_on_a_port():
    services = load_compose()["services"]
    workers = {name: service for name, service in services.items() if name.startswith("worker-")}
    unit = load_unit(DEPLOY / "systemd" / "tryon-worker@.service")["Service"]["Environment"]

    assert workers and all(int(service["environment"]["TRYON_WORKER_METRICS_PORT"]) for service in workers.values())
    assert all(service["environment"]["TRYON_WORKER_METRICS_ADDR"] == "0.0.0.0" for service in workers.values())
    assert "TRYON_WORKER_METRICS_PORT=9101" in unit.split() and "TRYON_PRESET=%i" in unit.split()
