"""Fakes for the lookup tests: canned Rasa parse results and a synthetic staff record."""
from __future__ import annotations

import socket
from typing import Any, Dict, List, Optional

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


def parse_result(
    faq: Optional[List[tuple]] = None, intents: Optional[List[tuple]] = None
) -> Dict[str, Any]:
    """A /model/parse-shaped result from (key, confidence) FAQ pairs and (intent, confidence) pairs."""
    intents = intents or [("faq", 0.9)]
    return {
        "text": "",
        "intent": {"name": intents[0][0], "confidence": intents[0][1]},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in intents],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {"intent_response_key": f"faq/{faq[0][0]}" if faq else None},
                "ranking": [{"id": i, "confidence": c, "intent_response_key": f"faq/{k}"}
                            for i, (k, c) in enumerate(faq or [])],
            },
        },
    }


NEWSPAPER_PARSE = parse_result(
    faq=[("newspaper", 0.95), ("fee", 0.03), ("materials", 0.01), ("photo", 0.005)],
    intents=[("faq", 0.9), ("ask_completion_date", 0.04), ("ask_hall_open", 0.02), ("greet", 0.01)],
)
COMPLETION_PARSE = parse_result(
    faq=[("duration", 0.8), ("process", 0.1)],
    intents=[("ask_completion_date", 0.85), ("faq", 0.1), ("ask_hall_open", 0.03)],
)
HALL_PARSE = parse_result(
    faq=[("hall", 0.7), ("visits", 0.2)],
    intents=[("nlu_fallback", 0.99), ("ask_hall_open", 0.6), ("faq", 0.3)],
)


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
