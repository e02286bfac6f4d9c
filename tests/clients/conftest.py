"""Fixtures for the client tests: the scriptable backend over real HTTP."""
from tests.fakes.scripted_backend import backend, closed_port_url  # noqa: F401 - fixtures
