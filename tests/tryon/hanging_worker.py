"""`python -m tests.tryon.hanging_worker -A tryon worker ...`: a real Celery worker whose renders hang.

For the time-limit tests only (tests/tryon/test_jobs_always_end.py): every render reports its first
step, as a real one does, then never returns, like a GPU kernel that never finishes. Nothing in the
application knows this module; the patch is made here, before Celery starts.
"""

import sys
import time

import generation


def _render_that_hangs(plan, *, on_step=None, **_kwargs):
    if on_step is not None:
        on_step(1, plan.steps)
    print(f"Hanging in the render of seed {plan.seed}", flush=True)  # which job, for a test to read in the log
    while True:
        time.sleep(3600)


generation.render = _render_that_hangs

if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
