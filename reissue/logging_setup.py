"""Logging for every process of the project: personal data is masked in every record."""
from __future__ import annotations

import logging
import os

from reissue.masking import scrub


class ScrubFilter(logging.Filter):
    """Masks ID and phone numbers in a record's final message before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with personal numbers masked."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record must still be logged somehow
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = ()
        return True


def install_scrubber(logger: logging.Logger) -> None:
    """Attach the scrub filter to every handler of `logger` (and to the logger itself)."""
    scrubber = ScrubFilter()
    logger.addFilter(scrubber)
    for handler in logger.handlers:
        handler.addFilter(scrubber)


def configure_logging(level: str | None = None) -> None:
    """Basic logging at LOG_LEVEL (default INFO) with the scrubber on the root handlers."""
    logging.basicConfig(
        level=(level or os.environ.get("LOG_LEVEL") or "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s - %(message)s",
    )
    install_scrubber(logging.getLogger())
