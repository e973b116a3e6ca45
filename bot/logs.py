"""Logging for the service's processes (web front, worker, development server): one format, one level.

Every line says which delivery and which issue it is about (`delivery=... issue=...`, "-" when none):
the web front and the worker set them for the request or job at hand with `log_context`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from bot.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s delivery=%(delivery)s issue=%(issue)s: %(message)s"
_DELIVERY = contextvars.ContextVar("faqbot_delivery", default="-")
_ISSUE = contextvars.ContextVar("faqbot_issue", default="-")
_base_factory = logging.getLogRecordFactory()


def _record(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.delivery = _DELIVERY.get()
    record.issue = _ISSUE.get()
    return record


# Installed at import: every record carries the fields, whichever handler formats it.
logging.setLogRecordFactory(_record)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format=FORMAT)


@contextlib.contextmanager
def log_context(delivery: str = "-", issue: str = "-") -> Iterator[None]:
    """Within the block, this thread's log lines name ``delivery`` and ``issue``."""
    tokens = (_DELIVERY.set(delivery or "-"), _ISSUE.set(issue or "-"))
    try:
        yield
    finally:
        _ISSUE.reset(tokens[1])
        _DELIVERY.reset(tokens[0])


def log_issue(issue: str) -> None:
    """The issue a request turned out to be about, once its delivery is parsed (inside ``log_context``)."""
    _ISSUE.set(issue)
