"""Fakes for the lookup tests: canned Rasa parse results and a synthetic staff record."""
from __future__ import annotations

import socket
from typing import Any, Dict, List, Optional, Tuple

STAFF_TOKEN = "test-staff-token"
NUMBER = "BF2026112700001"
# A synthetic record in the shape of backend.views.admin_view (the backend masks ID and phone).
ADMIN_RECORD: Dict[str, Any] = {
    "number": NUMBER,
    "status": "审核不通过",
    "status_label": "审核不通过",
    "review_reason": "照片不清晰<script>alert(1)</script>，请联系 13912345678 重新上传",
    "reason": "lost",
    "qualification": "一级建造师",
    "level": "一级",
    "specialty": "建筑工程",
    "obtained": "2015-06",
    "applicant_name": "张三丰",
    "id_number_masked": "370102********1238",
    "id_last4": "1238",
    "cert_number": "0012345678",
    "cert_number_unknown": False,
    "city": "济南市",
    "phone_masked": "138****5678",
    "photo_ref": "PH0123456789abcdef01234567",
    "channel": "web",
    "sender_ref": "sender-secret-ref",
    "created_at": "2026-11-27T10:00:00+08:00",
    "updated_at": "2026-11-28T09:00:00+08:00",
    "audit": [
        {"at": "2026-11-27T10:00:00+08:00", "from_status": None, "to_status": "已提交", "reason": None, "actor": "system"},
        {"at": "2026-11-28T09:00:00+08:00", "from_status": "已提交", "to_status": "审核不通过",
         "reason": "照片不清晰", "actor": "王审核"},
    ],
}


def parse_result(*questions: Tuple[str, float, List[Tuple[str, float]]], intent: str = "faq") -> Dict[str, Any]:
    """A /model/parse-shaped result whose answer plan has these (label, confidence, guesses) questions."""
    return {
        "text": "",
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": intent, "confidence": 0.9}],
        "answer_plan": {"intent": intent, "questions": [
            {"label": label, "text": label, "confidence": confidence, "details": {},
             "guesses": [{"label": g, "confidence": c} for g, c in guesses]}
            for label, confidence, guesses in questions
        ]},
    }


NEWSPAPER_PARSE = parse_result(("newspaper", 0.855, [("newspaper", 0.855), ("fee", 0.03), ("materials", 0.01), ("photo", 0.005)]))
COMPLETION_PARSE = parse_result(("completion_date", 0.85, [("completion_date", 0.85), ("duration", 0.1)]),
                                intent="ask_completion_date")
HALL_PARSE = parse_result(("hall_open", 0.6, [("hall_open", 0.6), ("hall", 0.2), ("visits", 0.1)]), intent="ask_hall_open")


class FakeParser:
    """A parse function that answers from a table (default: the newspaper result) and counts calls."""

    def __init__(self, table: Optional[Dict[str, Dict[str, Any]]] = None) -> None:
        """Keep the table."""
        self.table = table or {}
        self.calls: List[str] = []

    def __call__(self, text: str) -> Dict[str, Any]:
        """The result for `text`."""
        self.calls.append(text)
        return self.table.get(text, NEWSPAPER_PARSE)


class FakeBackend:
    """What the fake backend saw."""

    def __init__(self) -> None:
        """No requests yet."""
        self.requests: List[Dict[str, Any]] = []
        self.url = ""


def free_port_url() -> str:
    """A loopback URL on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
