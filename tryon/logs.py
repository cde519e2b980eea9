"""Log lines as text, or as one JSON object per line (TRYON_LOG_FORMAT=json), naming the job they are about.

While a worker handles a job (tryon.jobs.tasks), `job_logging` holds its id and merchant in a context
variable; a filter on the console handler copies them onto every record logged meanwhile, whichever
module logs it (the engine, the quality gate, storage), so a log pipeline can select one job's lines
without parsing messages. Loaded by the LOGGING setting: nothing here imports Django models.
"""

import json
import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

JOB_FIELDS = ("job_id", "merchant")

_job: ContextVar[dict | None] = ContextVar("tryon_job_logging", default=None)


@contextmanager
def job_logging(*, job_id: int, merchant: str | None):
    """Every line logged inside names this job and its merchant (the merchant's slug)."""
    token = _job.set({"job_id": job_id, "merchant": merchant})
    try:
        yield
    finally:
        _job.reset(token)


class JobContextFilter(logging.Filter):
    """Adds job_id and merchant to a record logged inside `job_logging`; `extra=` given by the caller wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        if context := _job.get():
            for name, value in context.items():
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message; job_id and merchant when known; the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in JOB_FIELDS:
            if getattr(record, name, None) is not None:
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)  # one line: json escapes the newlines of a traceback
