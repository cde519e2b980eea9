import pytest
from hypothesis import settings

from tests.services import IN_CI, missing_services

# CI draws the same examples every run, so a landing never hangs on a lucky draw; locally they vary and
# keep finding new cases (a failing one is printed with how to reproduce it).
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    """`services` tests need real PostgreSQL and Redis: skipped without them, a failed run in CI."""
    needing = [item for item in items if "services" in item.keywords]
    missing = missing_services()
    if not needing or not missing:
        return
    reason = f"needs {' and '.join(missing)} on 127.0.0.1 (.ci/run starts them; see README)"
    if IN_CI:
        raise pytest.UsageError(f"CI=true, and {len(needing)} tests {reason.replace('needs', 'need', 1)}")
    for item in needing:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its uploads and renders in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
