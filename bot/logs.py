"""Logging for the service's processes (web front, worker, development server): one format, one level."""

from __future__ import annotations

import logging

from bot.settings import Settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
