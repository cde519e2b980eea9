"""`Server-Timing: app-cpu;dur=<ms>`: the CPU time a request's thread spent in the app, on every answer.

Off unless TRYON_SERVER_TIMING is set: it tells anyone how long the server thought, which a public deployment
may not want to say. Browsers' developer tools show it next to the request; `python -m tryon.bench.submissions`
reads it for the median CPU of a submission. Thread CPU, not wall time: a request waiting on PostgreSQL or for
the GIL costs nothing here, so it measures the work, not the crowd.
"""

import time

from django.conf import settings


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.TRYON_SERVER_TIMING:
            return self.get_response(request)
        started = time.thread_time()
        response = self.get_response(request)
        response["Server-Timing"] = f"app-cpu;dur={(time.thread_time() - started) * 1000:.2f}"
        return response
