"""The log scrubber: installed once however often logging is configured."""
from __future__ import annotations

import logging

from reissue.logging_setup import ScrubFilter, install_scrubber


def test_installing_twice_adds_one_filter_per_logger_and_handler() -> None:
    """A second install (another entry point, another channel) adds no second filter; a new handler gets one."""
    logger = logging.getLogger("scrub-test")
    first = logging.StreamHandler()
    logger.addHandler(first)
    try:
        install_scrubber(logger)
        install_scrubber(logger)
        second = logging.StreamHandler()
        logger.addHandler(second)
        install_scrubber(logger)
        for target in (logger, first, second):
            assert sum(isinstance(f, ScrubFilter) for f in target.filters) == 1
    finally:
        logger.handlers.clear()
        logger.filters.clear()
