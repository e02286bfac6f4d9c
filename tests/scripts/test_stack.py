"""The processes `make run` starts: the retention job runs next to the backend."""
from __future__ import annotations

from dataclasses import replace

from reissue.settings import get_settings
from scripts.stack import _services


def test_make_run_starts_the_retention_job_with_its_interval():
    settings = replace(get_settings(), retention_interval_s=600.0)
    services = {service.name: service for service in _services(settings, {})}
    job = services["retention"]
    assert job.argv[1:] == ["-m", "backend.retention", "--interval", "600.0"]
    assert job.health_url is None
    assert list(services).index("retention") > list(services).index("backend")
