"""What the jobs app tells the rest of the project, as events: it knows nothing of who listens.

job_finished(job_id=...) is sent when a job reaches succeeded, failed or cancelled; the API app
listens to deliver webhooks (tryon/api/apps.py).
"""

from django.dispatch import Signal

job_finished = Signal()
