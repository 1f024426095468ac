"""Keep personal numbers out of every log line, whoever writes it (us, SQLAlchemy, gunicorn).

Database errors are logged without their bound values (``hide_parameters``), but a
driver's own message can still quote a value (PostgreSQL's "Key (phone)=(…) already
exists"), and an access log line holds the request's address. So every log record made
in the process passes `scrub_text` (core/scrub.py) when it is created: its message and,
if it carries one, its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from points_app.core.scrub import scrub_text

_installed = False


def _scrubbed_factory(base: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return record
        cleaned = scrub_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
        return record

    return make


def install_log_scrubbing() -> None:
    """Make every log record of this process scrub personal numbers (once per process)."""
    global _installed
    if _installed:
        return
    logging.setLogRecordFactory(_scrubbed_factory(logging.getLogRecordFactory()))
    _installed = True
