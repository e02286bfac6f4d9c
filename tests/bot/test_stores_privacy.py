"""Personal data in the tracker stores: sealed at rest in SQL, bounded and forgotten in memory."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import BoundedInMemoryTrackerStore, ObservedSQLTrackerStore, TrackerStoreUnavailable
from reissue.parsing.id_number import check_digit

BODY = "37010219880512003"
ID_NUMBER = BODY + check_digit(BODY)
PHONE = "13912345678"
NAME = "欧阳娜娜"
ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0


def applicant_tracker(sender: str) -> DialogueStateTracker:
    """A tracker in which an applicant typed and the form stored a name, an ID number and a phone number."""
    tracker = DialogueStateTracker(sender, [])
    for event in [
        ActionExecuted("action_listen"),
        UserUttered(f"我叫{NAME}，身份证{ID_NUMBER}，电话{PHONE}", {"name": "inform", "confidence": 1.0},
                    parse_data={"intent": {"name": "inform", "confidence": 1.0}, "entities": [], "text": ID_NUMBER}),
        SlotSet("applicant_name", NAME), SlotSet("id_number", ID_NUMBER), SlotSet("phone", PHONE),
        BotUttered(f"{NAME}您好，请核对身份证号 {ID_NUMBER}", {"template_name": "utter_confirm"}),
        ActionExecuted("action_listen"),
    ]:
        tracker.update(event)
    return tracker


def raw_rows(store: ObservedSQLTrackerStore) -> List[tuple]:
    """Every column of every row, as the database holds them."""
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text("SELECT * FROM events ORDER BY id"))]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'trackers.db'}"


async def test_no_name_id_number_or_phone_reaches_the_events_table_in_plaintext(db_url: str) -> None:
    """User text, slot values and bot text are sealed; the kind, intent, action and time columns stay readable."""
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host=db_url)
    tracker = applicant_tracker("alice")
    await store.save(tracker)
    rows = raw_rows(store)
    dump = repr(rows)
    for secret in (ID_NUMBER, PHONE, NAME):
        assert secret not in dump
    assert [row[2:6] for row in rows][:3] == [("action", tracker.events[0].timestamp, None, "action_listen"),
                                              ("user", tracker.events[1].timestamp, "inform", None),
                                              ("slot", tracker.events[2].timestamp, None, "applicant_name")]
    again = await ObservedSQLTrackerStore(domain=Domain.empty(), host=db_url).retrieve("alice")
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in tracker.events]


async def test_rows_sealed_under_the_previous_key_stay_readable_while_it_is_given(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Key rotation: TRACKER_STORE_KEY_PREVIOUS opens the old rows; without it they are refused loudly, no data logged."""
    monkeypatch.setenv("TRACKER_STORE_KEY", "old-tracker-key")
    await ObservedSQLTrackerStore(domain=Domain.empty(), host=db_url).save(applicant_tracker("bob"))
    monkeypatch.setenv("TRACKER_STORE_KEY", "new-tracker-key")
    monkeypatch.setenv("TRACKER_STORE_KEY_PREVIOUS", "old-tracker-key")
    rotated = ObservedSQLTrackerStore(domain=Domain.empty(), host=db_url)
    tracker = await rotated.retrieve("bob")
    assert any(e.as_dict().get("value") == ID_NUMBER for e in tracker.events)
    tracker.update(UserUttered("好的", {"name": "affirm", "confidence": 1.0}))
    await rotated.save(tracker)
    monkeypatch.delenv("TRACKER_STORE_KEY_PREVIOUS")
    forgotten = ObservedSQLTrackerStore(domain=Domain.empty(), host=db_url)
    with caplog.at_level(logging.ERROR, logger="bot.stores"), pytest.raises(TrackerStoreUnavailable):
        await forgotten.retrieve("bob")
    assert "InvalidToken" in caplog.text and ID_NUMBER not in caplog.text


async def test_plaintext_rows_of_rasas_store_are_read_and_sealed_by_the_retention_pass(db_url: str) -> None:
    """Rows written before sealing (Rasa's own store) stay readable, and one pass seals them in place."""
    stock = SQLTrackerStore(domain=Domain.empty(), host=db_url)
    await stock.save(applicant_tracker("carol"))
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host=db_url)
    assert ID_NUMBER in repr(raw_rows(store))
    before = [e.as_dict() for e in (await store.retrieve("carol")).events]
    assert store.seal_plaintext(batch=3) == len(before)
    assert ID_NUMBER not in repr(raw_rows(store)) and store.seal_plaintext() == 0
    assert [e.as_dict() for e in (await store.retrieve("carol")).events] == before


async def test_the_in_memory_store_keeps_at_most_its_bound_forgetting_the_least_recently_saved() -> None:
    """A flood of new sender ids cannot grow the store past its bound; a conversation in use is kept."""
    store = BoundedInMemoryTrackerStore(domain=Domain.empty(), max_conversations=100)
    await store.save(applicant_tracker("regular"))
    for number in range(1000):
        if number % 50 == 0:
            await store.save(await store.retrieve("regular"))
        await store.save(DialogueStateTracker(f"flood-{number}", []))
    keys = list(await store.keys())
    assert len(keys) == 100 and "regular" in keys and "flood-999" in keys and "flood-0" not in keys
    assert (await store.retrieve("flood-0")) is None


async def test_the_in_memory_store_forgets_conversations_idle_past_the_retention_period(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TRACKER_RETENTION_DAYS: a conversation not saved for longer is gone, one saved since is kept."""
    monkeypatch.setenv("TRACKER_RETENTION_DAYS", "30")
    now = [1_000_000.0]
    store = BoundedInMemoryTrackerStore(domain=Domain.empty(), clock=lambda: now[0])
    await store.save(applicant_tracker("old"))
    await store.save(applicant_tracker("kept"))
    now[0] += 20 * DAY
    await store.save(await store.retrieve("kept"))
    now[0] += 11 * DAY
    assert await store.retrieve("old") is None
    assert (await store.retrieve("kept")).sender_id == "kept" and list(await store.keys()) == ["kept"]


def test_the_embedded_endpoints_build_the_bounded_store_with_its_bound_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """endpoints.yml names the bounded store (Rasa silently falls back to its unbounded one for a wrong name)."""
    monkeypatch.setenv("ACTION_PORT", "15055")
    monkeypatch.setenv("TRACKER_MEMORY_MAX_CONVERSATIONS", "1234")
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    store = TrackerStore.create(endpoints.tracker_store, domain=Domain.empty())
    assert type(store) is BoundedInMemoryTrackerStore and store.max_conversations == 1234
