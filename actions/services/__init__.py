"""Side effects of the actions: the durable outbox and its delivery worker (the backend client is clients.backend)."""
from actions.services.outbox import Outbox, OutboxItem, OutboxRecord

__all__ = ["Outbox", "OutboxItem", "OutboxRecord"]
