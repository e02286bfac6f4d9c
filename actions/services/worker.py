"""Background delivery of queued applications: `python -m actions.services.worker` runs it standalone."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import List, Optional

from actions.services.outbox import Outbox
from clients.backend import BackendClient, HttpBackendClient
from reissue.masking import scrub

logger = logging.getLogger(__name__)


async def deliver_pending(
    outbox: Outbox,
    client: BackendClient,
    *,
    limit: int = 50,
    purge: bool = True,
    stop_event: Optional[asyncio.Event] = None,
) -> int:
    """Try every due pending row once; return how many this call delivered (personal data purged after)."""
    delivered = 0
    for record in outbox.pending(limit=limit, due_only=True):
        if stop_event is not None and stop_event.is_set():
            break
        result = await outbox.try_deliver(record.key, client)
        if result.outcome.accepted:
            if result.sent:
                delivered += 1
            if purge:
                outbox.purge_personal_data(record.key)
        elif result.outcome.kind == "rejected" and purge:
            outbox.purge_personal_data(record.key)
    return delivered


async def run_worker(
    stop_event: asyncio.Event,
    interval_s: float = 5.0,
    *,
    outbox: Optional[Outbox] = None,
    client: Optional[BackendClient] = None,
    limit: int = 50,
) -> int:
    """Deliver due rows every `interval_s` seconds until `stop_event` is set; return the total delivered."""
    outbox = outbox if outbox is not None else Outbox()
    client = client if client is not None else HttpBackendClient()
    total = 0
    logger.info("outbox worker started (every %.1fs)", interval_s)
    while not stop_event.is_set():
        try:
            n = await deliver_pending(outbox, client, limit=limit, stop_event=stop_event)
            swept = outbox.sweep()
            if any(swept.values()):
                logger.info("outbox sweep: %s", swept)
        except Exception as exc:  # noqa: BLE001 - keep going: the database or backend may come back
            logger.error("outbox worker pass failed: %s: %s", type(exc).__name__, scrub(exc)[:300])
        else:
            total += n
            if n:
                logger.info("outbox worker delivered %d application(s)", n)
        try:
            await asyncio.wait_for(stop_event.wait(), interval_s)
        except asyncio.TimeoutError:
            pass
    logger.info("outbox worker stopped after delivering %d application(s)", total)
    return total


async def serve(interval_s: float, once: bool) -> int:
    """Run one pass (`once`) or the loop until SIGINT/SIGTERM, with one outbox and one client."""
    outbox, client = Outbox(), HttpBackendClient()
    try:
        if once:
            n = await deliver_pending(outbox, client)
            swept = outbox.sweep()
            logger.info("delivered %d application(s); swept %s; %s", n, swept, outbox.counts())
            return 0
        stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop_event.set)
        await run_worker(stop_event, interval_s, outbox=outbox, client=client)
        return 0
    finally:
        await client.aclose()


def main(argv: Optional[List[str]] = None) -> int:
    """Command-line entry point: run the worker until SIGINT/SIGTERM (or one pass with --once)."""
    parser = argparse.ArgumentParser(description="Deliver queued applications from the outbox to the backend.")
    parser.add_argument("--interval", type=float, default=None,
                        help="seconds between passes (default: OUTBOX_WORKER_INTERVAL, 5)")
    parser.add_argument("--once", action="store_true", help="make one pass and exit")
    args = parser.parse_args(argv)
    from reissue.logging_setup import configure_logging
    from reissue.settings import get_settings

    configure_logging()
    interval = args.interval if args.interval is not None else get_settings().outbox_worker_interval_s
    return asyncio.run(serve(interval, args.once))


if __name__ == "__main__":
    raise SystemExit(main())
