"""What the jobs app tells the rest of the project, as events: it knows nothing of who listens.

job_finished(job_id=..., event_id=...) is sent when a job reaches succeeded, failed or cancelled, after
the transaction that finished it commits, from the outbox (tryon/jobs/outbox.py): at least once, so
listeners must be idempotent. The webhooks app listens (tryon/webhooks/apps.py).

swept() is sent after each sweep (tryon/jobs/sweeper.py), about once a minute by one process at a time:
other apps' housekeeping listens (tryon/fashn/apps.py deletes expired request photos).
"""

from django.dispatch import Signal

job_finished = Signal()
swept = Signal()
