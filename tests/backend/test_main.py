"""`python -m backend`: access-log lines lose their query strings."""
from __future__ import annotations

import logging

from backend.__main__ import DropQueryStrings
from tests.backend.backend_helpers import ID_A


def test_access_log_filter_drops_query_strings():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/api/v1/applications?q={ID_A}", "1.1", 200), None)
    assert DropQueryStrings().filter(record) is True
    assert ID_A not in record.getMessage() and "/api/v1/applications" in record.getMessage()
