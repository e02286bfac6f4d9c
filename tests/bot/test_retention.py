"""Tracker retention: events older than TRACKER_RETENTION_DAYS are deleted unless a session still in use holds them."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Dict, List

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import retention
from bot.stores import ObservedSQLTrackerStore
from reissue.settings import get_settings
from scripts.stack import _services

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0
NOW = time.time()


def session(start: float, hours: float = 0.0) -> List[Event]:
    """A session starting at `start`: Rasa's session start, a user message with an ID number, one more `hours` later."""
    return [ActionExecuted("action_session_start", timestamp=start), SessionStarted(timestamp=start + 0.5),
            ActionExecuted("action_listen", timestamp=start + 1),
            UserUttered("我要补办", {"name": "inform", "confidence": 1.0}, timestamp=start + 2),
            SlotSet("id_number", "370102198805120036", timestamp=start + 3),
            UserUttered("还在吗", {"name": "inform", "confidence": 1.0}, timestamp=start + 3 + hours * 3600)]


CONVERSATIONS: Dict[str, List[Event]] = {
    "sender-idle": session(NOW - 40 * DAY),
    "sender-returning": session(NOW - 40 * DAY) + session(NOW - DAY),
    "sender-long-session": session(NOW - 35 * DAY, hours=34 * 24),
    "sender-recent": session(NOW - 2 * DAY),
}


def timestamps(store: ObservedSQLTrackerStore) -> Dict[str, List[float]]:
    """Each sender's stored event timestamps, in insertion order."""
    found: Dict[str, List[float]] = {}
    with store.engine.connect() as connection:
        for sender, stamp in connection.execute(sa.text("SELECT sender_id, timestamp FROM events ORDER BY id")):
            found.setdefault(sender, []).append(stamp)
    return found


@pytest.fixture
def endpoints(tmp_path: Path) -> Path:
    """An endpoints file naming the observed SQL store on a SQLite file holding CONVERSATIONS."""
    url = f"sqlite:///{tmp_path / 'trackers.db'}"
    path = tmp_path / "endpoints.yml"
    path.write_text(f"tracker_store:\n  type: bot.stores.ObservedSQLTrackerStore\n  url: {url}\n", encoding="utf-8")
    return path


async def fill(url: str) -> ObservedSQLTrackerStore:
    """A store on `url` holding every conversation of CONVERSATIONS."""
    store = ObservedSQLTrackerStore(domain=Domain.empty(), host=url)
    for sender, events in CONVERSATIONS.items():
        await store.save(DialogueStateTracker.from_events(sender, events))
    return store


async def test_old_events_go_unless_the_latest_session_still_in_use_holds_them(tmp_path: Path) -> None:
    """Idle conversations vanish, a returning one loses its old session, a session in use and recent ones stay."""
    store = await fill(f"sqlite:///{tmp_path / 'trackers.db'}")
    deleted = store.delete_expired(NOW - 30 * DAY, batch=4)
    left = timestamps(store)
    assert deleted == len(CONVERSATIONS["sender-idle"]) + len(session(0)) + 1
    assert "sender-idle" not in left
    assert left["sender-returning"] == [e.timestamp for e in session(NOW - DAY)]
    # the action that started the session in use precedes it (Rasa's latest session begins at SessionStarted)
    assert left["sender-long-session"] == [e.timestamp for e in CONVERSATIONS["sender-long-session"][1:]]
    assert left["sender-recent"] == [e.timestamp for e in CONVERSATIONS["sender-recent"]]
    assert len((await store.retrieve("sender-returning")).events) == len(session(0)) - 1
    assert store.delete_expired(NOW - 30 * DAY) == 0


async def test_the_job_applies_the_retention_period_from_the_environment(
    endpoints: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`python -m bot.retention` (one pass) with TRACKER_RETENTION_DAYS=3: the idle conversation and the old session go."""
    url = endpoints.read_text(encoding="utf-8").split("url: ")[1].strip()
    store = await fill(url)
    monkeypatch.setenv("TRACKER_RETENTION_DAYS", "3")
    with caplog.at_level(logging.INFO, logger="bot.retention"):
        assert retention.main(["--endpoints", str(endpoints)]) == 0
    assert set(timestamps(store)) == {"sender-returning", "sender-long-session", "sender-recent"}
    assert "events deleted" in caplog.text
    assert "sender-" not in caplog.text


def test_with_the_in_memory_default_the_job_has_nothing_to_do(caplog: pytest.LogCaptureFixture) -> None:
    """The embedded endpoints keep conversations in memory, which forgets on its own: the job says so and ends."""
    with caplog.at_level(logging.INFO, logger="bot.retention"):
        assert retention.main(["--endpoints", str(ROOT / "endpoints.yml")]) == 0
    assert "nothing to delete" in caplog.text


def test_make_run_starts_the_tracker_retention_job_only_with_a_sql_tracker_store() -> None:
    """The scaled endpoints get the job (with the same endpoints file); the in-memory default does not."""
    settings = get_settings()
    scaled = {s.name: s for s in _services(settings, {"RASA_ENDPOINTS": "config/scaled/endpoints.yml"})}
    job = scaled["tracker-retention"]
    assert job.argv[1:] == ["-m", "bot.retention", "--endpoints", "config/scaled/endpoints.yml",
                            "--interval", str(settings.retention_interval_s)] and job.health_url is None
    assert "tracker-retention" not in {s.name for s in _services(settings, {})}
