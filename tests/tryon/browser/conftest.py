"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server (real
PostgreSQL), with one real Celery worker on the tiny preset shared by every test that needs it.

Pages link uploads and renders by signed URLs the app itself serves (tryon/media), so they load in the
browser; the worker and the server share one media folder for the run. (LiveServerThread would also serve
MEDIA_URL unsigned; production serves nothing there, and no page links there.)
"""

import contextlib
import time
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.services import IN_CI
from tests.tryon.browser.helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, worker_queues
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import JobStateError, tryon_job_cancel


def pytest_collection_modifyitems(config, items):
    """Without Playwright or Chromium, browser tests skip with a reason; under CI=true the run fails."""
    here = Path(__file__).parent
    needing = [item for item in items if here in Path(item.fspath).parents and "page" in item.fixturenames]
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not needing or not missing:
        return
    reason = f"needs {' and '.join(missing)}"
    if IN_CI:
        raise pytest.UsageError(f"CI=true, and {len(needing)} browser tests {reason}")
    for item in needing:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module: Playwright's event loop is gone before tests outside this folder run.

    While it runs, its sync API keeps an event loop in this thread, which Django takes for async code: the
    tests' own ORM calls (and the database flush after each) are plain sync calls, so that check is off.
    """
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # launch() starts Chromium on a fresh temporary profile; every test gets a clean context of its own.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="package")
def shared_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser-media")


@pytest.fixture(autouse=True)
def media_root(settings, shared_media):
    """One media folder for the run, in place of one per test: the shared worker writes renders there."""
    settings.MEDIA_ROOT = shared_media
    return shared_media


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


# Package scope: the worker must be gone before tests/tryon's own worker tests start theirs on the same
# queue, or it would take their jobs and write renders into this package's media folder.
@pytest.fixture(scope="package")
def worker_process(django_db_setup, shared_media, tmp_path_factory):
    env = {**env_for_test_database(), "TRYON_MEDIA_ROOT": str(shared_media)}
    process = WorkerProcess(tmp_path_factory.mktemp("worker"), env, worker_queues()).start()
    yield process
    process.stop()


@pytest.fixture
def worker(worker_process):
    """The run's worker; while the test runs, renders go to it through Redis instead of running inline.

    Each test starts on an emptied database, so the worker's presence (written every 30 s) is written again
    here: a try-on for a preset no worker serves would be refused (tryon.jobs.heartbeats).
    """
    worker_heartbeat_record(hostname="browser-tests@localhost", queues=worker_queues().split(","))
    send_tasks_to_broker(True)
    yield worker_process
    send_tasks_to_broker(False)
    let_the_worker_go_idle()


def let_the_worker_go_idle(timeout: float = 120) -> None:
    """Jobs a test leaves live (a merchant's batch queued behind the shopper) are cancelled, and a running one is
    waited for: the worker serves the whole run, and a render that writes while the test's database is emptied
    deadlocks the TRUNCATE."""
    live = (TryOnJob.Status.QUEUED, TryOnJob.Status.RUNNING)
    for job_id in TryOnJob.objects.filter(status__in=live).values_list("id", flat=True):
        with contextlib.suppress(JobStateError):  # it finished meanwhile
            tryon_job_cancel(job_id=job_id)  # a queued one at once; a running one at its next progress write
    deadline = time.monotonic() + timeout
    while TryOnJob.objects.filter(status=TryOnJob.Status.RUNNING).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
