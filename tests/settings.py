"""Test settings: the real settings, with real PostgreSQL and Redis whenever they are there."""

import os
import tempfile
from pathlib import Path

from tests.services import IN_CI, POSTGRES, REDIS, reachable

_run_dir = Path(tempfile.mkdtemp(prefix="tryon-tests-"))
os.environ.setdefault("TRYON_VAR_DIR", str(_run_dir / "var"))
os.environ.setdefault("TRYON_MEDIA_ROOT", str(_run_dir / "media"))
# The tiny preset is deterministic and cheap to keep: build it once per checkout, not once per run.
os.environ.setdefault("TRYON_MODELS_DIR", str(Path(__file__).resolve().parent.parent / ".models"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tryon.settings import *  # noqa: E402, F403
from tryon.settings import as_run_here  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TRYON_PRESET = "tiny"
TRYON_PROGRESS_INTERVAL = 0.0

USE_POSTGRES = IN_CI or reachable(POSTGRES)
if USE_POSTGRES:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": POSTGRES[0],
            "PORT": POSTGRES[1],
            "USER": "postgres",
            "NAME": "postgres",
            # One test database per run, so two checkouts can test side by side.
            "TEST": {"NAME": f"test_tryon_{os.getpid()}"},
        }
    }
    DATABASES["default"] = as_run_here(DATABASES["default"])  # as production: query metrics, prepared statements

# Tasks run inline unless a test starts a real worker (tests/tryon/worker.py switches this off).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = f"redis://{REDIS[0]}:{REDIS[1]}/15"
CELERY_TASK_DEFAULT_QUEUE = f"tryon-test-{os.getpid()}"
