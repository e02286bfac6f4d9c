"""Schemathesis fuzzing of the published OpenAPI contract: no 5xx, responses conform to the schema."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi import checks as openapi_checks

from backend.app import create_app
from reissue.settings import get_settings
from tests.backend.backend_helpers import BOT, BOT_TOKEN, STAFF, STAFF_TOKEN

EXAMPLES = 40


@pytest.fixture
def fuzz_schema(tmp_path: Path) -> Iterator[object]:
    """The app's own /openapi.json, loaded through ASGI, on a fresh SQLite database."""
    settings = replace(get_settings(), database_url=f"sqlite:///{tmp_path / 'fuzz.sqlite'}",
                       upload_dir=tmp_path / "uploads", backend_token=BOT_TOKEN, staff_token=STAFF_TOKEN)
    app = create_app(settings)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.engine.dispose()


schema = schemathesis.pytest.from_fixture("fuzz_schema")


def token_for(method: str, path: str) -> Dict[str, str]:
    """The right credentials for an operation: the bot creates, staff does everything else."""
    return BOT if (method.upper(), path) == ("POST", "/api/v1/applications") else STAFF


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None,
                     suppress_health_check=list(HealthCheck), derandomize=True)
def test_contract_holds_for_generated_requests(case):
    headers = token_for(case.method, case.operation.path)
    if case.headers and "Authorization" in case.headers:
        headers = {}
    response = case.call_and_validate(
        headers=headers,
        excluded_checks=[openapi_checks.positive_data_acceptance],
    )
    assert response.status_code < 500
