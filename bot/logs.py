"""Logging for the service's processes (web front, worker, development server): one format, one level.

Every line says which delivery and which issue it is about (`delivery=... issue=...`, "-" when none):
the web front and the worker set them for the request or job at hand with `log_context`.
"""

from __future__ import annotations

import contextvars
import logging

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


class _Context:
    """A `log_context` block. A class rather than a generator: the web front opens one per
    delivery, and contextlib's machinery cost more than the two variables it sets."""

    __slots__ = ("_delivery", "_issue", "_tokens")

    def __init__(self, delivery: str, issue: str):
        self._delivery, self._issue = delivery or "-", issue or "-"

    def __enter__(self) -> None:
        self._tokens = (_DELIVERY.set(self._delivery), _ISSUE.set(self._issue))

    def __exit__(self, *exc: object) -> None:
        _ISSUE.reset(self._tokens[1])
        _DELIVERY.reset(self._tokens[0])


def log_context(delivery: str = "-", issue: str = "-") -> _Context:
    """Within the block (`with log_context(...):`), this thread's log lines name ``delivery`` and ``issue``."""
    return _Context(delivery, issue)


def log_issue(issue: str) -> None:
    """The issue a request turned out to be about, once its delivery is parsed (inside ``log_context``)."""
    _ISSUE.set(issue)
