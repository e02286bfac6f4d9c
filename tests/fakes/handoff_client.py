"""In-memory stand-in for the live handoff's queue client, for unit tests of the actions."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from clients.handoffs import CallbackOffer, QueueEntry


@dataclass
class FakeHandoffClient:
    """Records every queued conversation and callback offer; answers with the next place in the queue (or the
    offer), or None when `down`."""

    opened: List[Tuple[str, Dict[str, Any]]] = field(default_factory=list)
    offers: List[Tuple[str, Dict[str, Any], str]] = field(default_factory=list)
    down: bool = False

    async def open(self, channel: str, summary: Dict[str, Any]) -> Optional[QueueEntry]:
        """Queue the conversation (or refuse, when down)."""
        if self.down:
            return None
        self.opened.append((channel, summary))
        return QueueEntry(len(self.opened), f"token-{len(self.opened):04d}-abcdefghijkl", len(self.opened) - 1)

    async def offer_callback(self, channel: str, summary: Dict[str, Any], conversation: str = "") -> Optional[CallbackOffer]:
        """Offer a callback (or refuse, when down); WeChat offers carry no token."""
        if self.down:
            return None
        self.offers.append((channel, summary, conversation))
        return CallbackOffer(len(self.offers), None if conversation else f"cb-token-{len(self.offers):04d}-abcdefgh")
