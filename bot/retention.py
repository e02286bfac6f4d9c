"""Retention of the tracker store: `python -m bot.retention [--endpoints FILE] [--interval SECONDS]`.

With the SQL tracker store (`bot.stores.ObservedSQLTrackerStore`, config/scaled/endpoints.yml) each pass deletes
the events older than TRACKER_RETENTION_DAYS, except those of a conversation's latest session still in use, and
seals rows still in plaintext (written by Rasa's own store or before sealing). `make run` starts it next to Rasa
only when the endpoints name that store: the in-memory default forgets idle and surplus conversations itself
(`bot.stores.BoundedInMemoryTrackerStore`) and everything on restart, so the job has nothing to do there.
"""
from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Union

import yaml

from reissue.serving import run_until_signalled

if TYPE_CHECKING:
    from bot.stores import ObservedSQLTrackerStore

logger = logging.getLogger(__name__)
SQL_STORE_TYPE = "bot.stores.ObservedSQLTrackerStore"
JOB_TIMEOUT_S = 600.0  # a pass may scan the whole table: far more than a turn's deadline
DAY_S = 86400.0


def sql_tracker_store_in(endpoints: Union[str, Path]) -> bool:
    """Whether an endpoints file names the SQL tracker store (read without importing Rasa or expanding variables)."""
    config = yaml.safe_load(Path(endpoints).read_text(encoding="utf-8")) or {}
    return (config.get("tracker_store") or {}).get("type") == SQL_STORE_TYPE


def open_store(endpoints: Union[str, Path]) -> "ObservedSQLTrackerStore":
    """The tracker store of an endpoints file (variables expanded as Rasa does), with the job's long deadline."""
    from rasa.utils.endpoints import read_endpoint_config

    from bot.stores import ObservedSQLTrackerStore

    config = read_endpoint_config(str(endpoints), "tracker_store")
    if config is None:
        raise ValueError(f"{endpoints} has no tracker_store section")
    return ObservedSQLTrackerStore(host=config.url, **{**config.kwargs, "timeout_s": JOB_TIMEOUT_S})


def run_pass(store: "ObservedSQLTrackerStore", retention_days: float, now: Optional[float] = None) -> int:
    """Delete what is past retention and seal leftover plaintext rows; log the counts (never a sender id)."""
    cutoff = (time.time() if now is None else now) - retention_days * DAY_S
    deleted = store.delete_expired(cutoff)
    sealed = store.seal_plaintext()
    logger.info("tracker retention: %d events deleted (older than %g days, outside a session in use), "
                "%d plaintext rows sealed", deleted, retention_days, sealed)
    return deleted


@dataclass
class RetentionJob:
    """The passes over one endpoints file's store, opened on first use (the database may be down at start)."""

    endpoints: Union[str, Path]
    store: Optional["ObservedSQLTrackerStore"] = None

    def run_once(self) -> bool:
        """One pass; a failure is logged without personal data and reported as False."""
        from bot.stores import describe_error
        from reissue.settings import get_settings

        try:
            if self.store is None:
                self.store = open_store(self.endpoints)
            run_pass(self.store, get_settings().tracker_retention_days)
        except Exception as error:  # noqa: BLE001 - the database may be down; the next pass tries again
            logger.error("tracker retention: pass failed: %s", describe_error(error))
            return False
        return True


def main(argv: Optional[List[str]] = None) -> int:
    """Command line: one pass (exit status 1 when it failed), or a pass every --interval seconds until stopped."""
    parser = argparse.ArgumentParser(description="Delete tracker events whose retention period has passed.")
    parser.add_argument("--endpoints", default="endpoints.yml", help="Rasa's endpoints file (default: endpoints.yml)")
    parser.add_argument("--interval", type=float, default=None, help="repeat every this many seconds until stopped")
    args = parser.parse_args(argv)
    from reissue.logging_setup import configure_logging

    configure_logging()
    if not sql_tracker_store_in(args.endpoints):
        logger.info("tracker retention: %s keeps conversations in memory, which forgets them itself; nothing to delete",
                    args.endpoints)
        return 0
    job = RetentionJob(args.endpoints)
    if args.interval is None:
        return 0 if job.run_once() else 1
    logger.info("tracker retention job started (every %.0f s)", args.interval)
    return run_until_signalled(args.interval, job.run_once)


if __name__ == "__main__":
    raise SystemExit(main())
