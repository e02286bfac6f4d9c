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
    """Attach the scrub filter to `logger` and every handler of it that has none yet (calling it again adds none)."""
    scrubber = ScrubFilter()
    for target in (logger, *logger.handlers):
        if not any(isinstance(existing, ScrubFilter) for existing in target.filters):
            target.addFilter(scrubber)


def configure_logging(level: str | None = None) -> None:
    """Basic logging at LOG_LEVEL (default INFO) with the scrubber on the root handlers."""
    logging.basicConfig(
        level=(level or os.environ.get("LOG_LEVEL") or "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s - %(message)s",
    )
    install_scrubber(logging.getLogger())
