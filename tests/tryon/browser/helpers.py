"""What browser tests share: Chromium's path and flags, screen sizes, screenshots, signing in."""

from pathlib import Path

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
PASSWORD = "correct horse battery staple"  # tests.factories.StaffFactory's


def screenshot(page, name: str) -> None:
    """The whole page at desktop and at phone width: screenshots/<name>-desktop.png and <name>-phone.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    viewport = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")  # sticky parts where a reader first sees them
        page.wait_for_timeout(200)  # let the layout settle
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(viewport)


def log_in(page, user) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
