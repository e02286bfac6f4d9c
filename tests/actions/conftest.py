"""Fixtures for action unit tests: the real domain, a dispatcher, trackers and fake services."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.wiring as wiring
from actions.services.outbox import Outbox
from tests.fakes.backend_client import FakeBackendClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """The project's real domain.yml."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """Collects what an action says."""
    return CollectingDispatcher()


TrackerFactory = Callable[..., Tracker]


@pytest.fixture
def make_tracker(domain: Dict[str, Any]) -> TrackerFactory:
    """Build a tracker whose latest message is `text` with the given intent, slots and metadata."""

    def build(
        text: str = "",
        intent: str = "inform",
        confidence: float = 0.9,
        slots: Optional[Dict[str, Any]] = None,
        entities: Optional[List[Dict[str, Any]]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        active_loop: Optional[str] = "reissue_form",
        faq_key: Optional[str] = None,
        events: Optional[List[Dict[str, Any]]] = None,
        plan: Optional[Dict[str, Any]] = None,
    ) -> Tracker:
        all_slots = dict.fromkeys(domain["slots"])
        all_slots["requested_slot"] = None
        all_slots.update(slots or {})
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "metadata": metadata or {},
        }
        if plan is not None:
            latest["answer_plan"] = plan
        if faq_key:
            latest["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{faq_key}"}, "ranking": []}}
        user_event = {"event": "user", "text": text, "timestamp": 1764230400.0, "parse_data": latest, "metadata": metadata or {}}
        return Tracker(
            sender_id="unit-test",
            slots=all_slots,
            latest_message=latest,
            events=(events or []) + [user_event],
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return build


@pytest.fixture
def fake_backend(monkeypatch: pytest.MonkeyPatch) -> FakeBackendClient:
    """A fake backend wired in place of the real client."""
    fake = FakeBackendClient()
    monkeypatch.setattr(wiring, "backend_client", lambda: fake)
    for module in ("actions.submit", "actions.progress", "actions.forms.reissue", "actions.answers"):
        monkeypatch.setattr(f"{module}.backend_client", lambda: fake)
    return fake


@pytest.fixture
def temp_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Outbox:
    """A real outbox on a temporary SQLite file, wired in place of the configured one."""
    box = Outbox(f"sqlite:///{tmp_path / 'outbox.sqlite'}", first_try_grace_s=0)
    monkeypatch.setattr(wiring, "outbox", lambda: box)
    for module in ("actions.submit", "actions.progress"):
        monkeypatch.setattr(f"{module}.outbox", lambda: box)
    yield box
    box.dispose()


@pytest.fixture
def said(dispatcher: CollectingDispatcher) -> Callable[[], str]:
    """Everything the action said so far, joined."""
    return lambda: "\n".join(message.get("text") or message.get("response") or "" for message in dispatcher.messages)
