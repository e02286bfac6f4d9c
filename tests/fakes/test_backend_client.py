"""Tests of FakeBackendClient: same interface, recorded calls, scripted answers, backend-like defaults."""
from __future__ import annotations

import pytest

from clients.backend import BackendClient, StatusOutcome, SubmitOutcome
from tests.fakes.backend_client import FakeBackendClient

APP = {"name": "赵六"}


def test_fake_is_a_backend_client() -> None:
    """The fake satisfies the BackendClient protocol."""
    assert isinstance(FakeBackendClient(), BackendClient)


async def test_default_submit_stores_once_per_key() -> None:
    """A new key is submitted with a fresh number; the same key again is a duplicate with that number."""
    fake = FakeBackendClient()
    a = await fake.submit(APP, "k1")
    b = await fake.submit(APP, "k2")
    again = await fake.submit(APP, "k1")
    assert (a.kind, a.number) == ("submitted", "FAKE000001")
    assert (b.kind, b.number) == ("submitted", "FAKE000002")
    assert (again.kind, again.number) == ("duplicate", "FAKE000001")
    assert fake.submitted_keys == ["k1", "k2", "k1"]
    assert fake.calls[0].args == (APP, "k1")


async def test_scripted_outcomes_come_first_in_order() -> None:
    """Strings, outcome objects and exceptions are played in order, then the default behaviour resumes."""
    fake = FakeBackendClient().script_submit("unavailable", SubmitOutcome("rejected", message="no"), TimeoutError("x"))
    assert (await fake.submit(APP, "k")).kind == "unavailable"
    assert (await fake.submit(APP, "k")).message == "no"
    with pytest.raises(TimeoutError):
        await fake.submit(APP, "k")
    assert (await fake.submit(APP, "k")).kind == "submitted"
    assert len(fake.calls) == 4


async def test_scripted_success_gets_a_number_and_is_remembered() -> None:
    """A scripted "submitted" without a number is given one, and the key then counts as stored."""
    fake = FakeBackendClient().script_submit("submitted")
    first = await fake.submit(APP, "k")
    assert first.kind == "submitted" and first.number == "FAKE000001"
    assert await fake.submit(APP, "k") == SubmitOutcome("duplicate", number="FAKE000001", status="received")


async def test_status_and_photo_lookups() -> None:
    """Statuses are keyed by (number, upper-cased last 4); photos by ref; unknown → not_found / None."""
    found = StatusOutcome("found", number="N1", status="in_review", status_label="审核中")
    fake = FakeBackendClient(statuses={("N1", "002X"): found}, photos={"p": b"jpg"})
    assert await fake.get_status("N1", "002x") is found
    assert (await fake.get_status("N1", "1234")).kind == "not_found"
    fake.script_status("unavailable")
    assert (await fake.get_status("N1", "002X")).kind == "unavailable"
    assert await fake.fetch_photo("p") == b"jpg" and await fake.fetch_photo("q") is None
    assert [c.method for c in fake.calls] == ["get_status", "get_status", "get_status", "fetch_photo", "fetch_photo"]


async def test_record_unanswered_is_kept_unless_told_to_fail() -> None:
    """Recorded questions are kept and True; with record_ok False nothing is kept and the answer is False."""
    fake = FakeBackendClient()
    assert await fake.record_unanswered({"text": "a"}) is True and fake.unanswered == [{"text": "a"}]
    fake.record_ok = False
    assert await fake.record_unanswered({"text": "b"}) is False and fake.unanswered == [{"text": "a"}]



async def test_admin_records_by_number() -> None:
    """The staff view comes from `admin`; an unknown number is not_found; the staff token is recorded."""
    fake = FakeBackendClient(admin={"N1": {"number": "N1"}})
    assert (await fake.admin_record("N1", "staff")).record == {"number": "N1"}
    assert (await fake.admin_record("N2", "staff")).kind == "not_found"
    assert fake.calls[0].args == ("N1", "staff")
