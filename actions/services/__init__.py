"""Side effects of the actions: the backend client, the durable outbox and its delivery worker."""
from actions.services.backend_client import (
    BackendClient,
    HttpBackendClient,
    RetryPolicy,
    StatusOutcome,
    SubmitOutcome,
)
from actions.services.outbox import Outbox, OutboxItem, OutboxRecord

__all__ = [
    "BackendClient",
    "HttpBackendClient",
    "Outbox",
    "OutboxItem",
    "OutboxRecord",
    "RetryPolicy",
    "StatusOutcome",
    "SubmitOutcome",
]
