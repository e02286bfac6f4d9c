"""Clients of the project's own services, shared by every caller (the actions, the outbox worker, the lookup)."""
