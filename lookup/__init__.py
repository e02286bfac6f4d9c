"""Hotline staff lookup: the answer to every question of a caller's message from the assistant's own answer
plan (the trained Rasa model), with its guide clause or 指南未写明, and an application's status through the
backend's staff API (personal data masked)."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

import requests

from clients.backend import HttpBackendClient, RetryPolicy
from clients.knowledge import LiveAnswers
from reissue import clock, knowledge
from reissue.answering.plan import ABSTAIN, NOT_IN_GUIDE, OUT_OF_SCOPE
from reissue.answering.render import answer_text, title_of
from reissue.application import is_application_number
from reissue.lexicon.documents import load_documents
from reissue.masking import mask_id, mask_name, scrub
from reissue.settings import PROJECT_ROOT, get_settings

LOG = logging.getLogger("lookup")

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 10.0
TIMEOUTS = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
# A hotline agent is waiting: the staff view gets two attempts within 12 s.
STATUS_POLICY = RetryPolicy(max_attempts=2, max_total_s=12.0)
MODEL_PATH = PROJECT_ROOT / "models" / "reissue.tar.gz"
MAX_QUESTION_CHARS = 200
# After the Rasa server failed, ask the in-process model for this long before trying the server again.
REMOTE_RETRY_AFTER_S = 30.0
# The facts each answer that is not an FAQ entry rests on; their `source` fields name the guide sections.
ANSWER_FACTS = {
    "completion_date": ("promised_days", "practical_time", "legal_limit"),
    "hall_open": ("hall_address", "hall_days", "hall_morning", "hall_afternoon"),
    "handoff": ("hotline", "hall_address", "hall_days"),
    "other_province": ("legal_basis", "article16"),
}
# Labels the assistant carries out as a dialogue; for staff, the answer they lead to.
STAFF_ANSWER_OF = {"start_reissue": "apply_online"}
ParseFn = Callable[[str], Dict[str, Any]]
FallbackLoader = Callable[[], ParseFn]


class Answer(NamedTuple):
    """One ranked answer: topic key, its title, the model's confidence, the full text and its guide sections."""

    key: str
    title: str
    confidence: float
    answer_text: str
    sources: Tuple[str, ...]


class LookupUnavailable(Exception):
    """Neither the Rasa server nor the in-process model could rank the question."""


class RasaUnavailable(Exception):
    """The Rasa server did not answer a parse request usefully (down, timed out, refused, no model)."""


class StatusError(Exception):
    """An application status lookup failed; `status_code` is the HTTP status to report."""

    def __init__(self, status_code: int, message: str) -> None:
        """Keep the status code and the Chinese message."""
        super().__init__(message)
        self.status_code = status_code
        self.message = message


# ---------------------------------------------------------------- pure ranking


def _confidence(value: Any) -> float:
    """A confidence as a float in [0, 1]; anything unreadable is 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(max(number, 0.0), 1.0)


def _unique(items: List[str]) -> Tuple[str, ...]:
    """`items` without repeats, first occurrence kept."""
    return tuple(dict.fromkeys(items))


def _fact_sources(label: str) -> Tuple[str, ...]:
    """The guide sections of the facts an answer rests on."""
    return _unique([knowledge.facts()[name].source for name in ANSWER_FACTS.get(label, ())])


def planned_answer(question: Dict[str, Any], now: datetime,
                   live: Optional[Mapping[str, str]] = None) -> Optional[Answer]:
    """The Answer to one planned question, with its guide clause — or 指南未写明 with the human route; FAQ answers
    in their `live` texts (the knowledge store's) where given."""
    label = str(question.get("label") or "")
    label = STAFF_ANSWER_OF.get(label, label)
    confidence = round(_confidence(question.get("confidence")), 4)
    details = question.get("details") or {}
    entries = knowledge.faq_entries()
    if label in entries:
        entry = entries[label]
        return Answer(label, entry.title, confidence, answer_text(label, details, now, live), tuple(entry.sources))
    if label in ABSTAIN:
        text = answer_text(NOT_IN_GUIDE, details, now) + "\n" + knowledge.message("human_route")
        source = knowledge.message("lookup_not_in_guide_source")
        return Answer(label, knowledge.message("lookup_not_in_guide_title"), confidence, text, (source,))
    if label.startswith(OUT_OF_SCOPE + ":"):
        document = load_documents().get(label.split(":", 1)[1])
        if document is not None:
            source = document.source if document.sourced else (document.document or document.source)
            title = knowledge.message("lookup_other_document_title", name=document.name)
            return Answer(label, title, confidence, answer_text(label, details, now), (source,))
    text = answer_text(label, details, now)
    if not text:
        return None
    title = title_of(label) or knowledge.message("lookup_out_of_scope_title")
    return Answer(label, title, confidence, text, _fact_sources(label))


def rank(parse: Dict[str, Any], top: int = 3, now: Optional[datetime] = None,
         live: Optional[Mapping[str, str]] = None) -> List[Answer]:
    """The answers of one /model/parse result: every question of its answer plan, in the order asked; for a
    single question, the other FAQ topics the classifier saw next, as alternatives for staff."""
    local = clock.local(now or clock.now())
    questions = list((parse.get("answer_plan") or {}).get("questions") or [])
    answers: List[Answer] = []
    for question in questions:
        found = planned_answer(question, local, live)
        if found is not None and found.key not in [a.key for a in answers]:
            answers.append(found)
    if len(questions) == 1:
        for guess in questions[0].get("guesses") or []:
            label = str(guess.get("label") or "")
            if label in knowledge.faq_entries() and label not in [a.key for a in answers]:
                found = planned_answer({"label": label, "confidence": guess.get("confidence"),
                                        "details": questions[0].get("details")}, local, live)
                if found is not None:
                    answers.append(found)
    return answers[: max(0, top)]


def clean_question(question: str) -> str:
    """The question stripped and cut to a sane length."""
    return " ".join(str(question or "").split())[:MAX_QUESTION_CHARS]


# ---------------------------------------------------------------- parsing with Rasa


def connect_host(host: str) -> str:
    """The address to connect to for a server bound on `host` (a wildcard bind means loopback)."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def rasa_url() -> str:
    """The Rasa server's base URL from the settings."""
    settings = get_settings()
    return f"http://{connect_host(settings.host)}:{settings.rasa_port}"


def remote_parse(
    text: str, base_url: Optional[str] = None, token: Optional[str] = None, session: Optional[requests.Session] = None
) -> Dict[str, Any]:
    """POST the text to the Rasa server's /model/parse; RasaUnavailable on any failure."""
    settings = get_settings()
    url = f"{(base_url or rasa_url()).rstrip('/')}/model/parse"
    params = {"token": token if token is not None else settings.rasa_auth_token}
    try:
        response = (session or requests).post(url, params=params, json={"text": text}, timeout=TIMEOUTS)
    except requests.RequestException as error:
        raise RasaUnavailable(f"Rasa server not reachable: {type(error).__name__}") from error
    if response.status_code != 200:
        raise RasaUnavailable(f"Rasa server answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise RasaUnavailable("Rasa server answered something that is not JSON") from error
    if not isinstance(body, dict):
        raise RasaUnavailable("Rasa server answered an unexpected body")
    return body


class _LoopThread:
    """One event loop on a daemon thread, so sync callers from any thread can await the Rasa agent."""

    def __init__(self) -> None:
        """Start the loop's thread."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lookup-agent-loop", daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: Optional[float] = None) -> Any:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


def load_in_process(model_path: Path = MODEL_PATH) -> ParseFn:
    """Load the trained model into this process (takes seconds) and return a parse function over it."""
    if not Path(model_path).exists():
        raise LookupUnavailable(knowledge.message("lookup_no_model", path=model_path))
    from rasa.core.agent import Agent  # imported late: loading Rasa is slow

    runner = _LoopThread()
    agent = Agent.load(str(model_path))

    def parse(text: str) -> Dict[str, Any]:
        """Parse one text with the in-process agent."""
        return runner.run(agent.parse_message(text), timeout=60)

    return parse


@dataclass
class Ranker:
    """Parses questions with the Rasa server, falling back to one cached in-process model when it is down."""

    remote: ParseFn
    load_fallback: FallbackLoader = load_in_process
    on_fallback: Optional[Callable[[], None]] = None
    retry_after_s: float = REMOTE_RETRY_AFTER_S
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        """Start with no fallback loaded and the server assumed up."""
        self._fallback: Optional[ParseFn] = None
        self._lock = threading.Lock()
        self._remote_down_until = 0.0
        self.last_source = ""

    def fallback(self) -> ParseFn:
        """The in-process parse function, loaded once (the first call takes a few seconds)."""
        with self._lock:
            if self._fallback is None:
                if self.on_fallback is not None:
                    self.on_fallback()
                try:
                    self._fallback = self.load_fallback()
                except LookupUnavailable:
                    raise
                except Exception as error:
                    raise LookupUnavailable(knowledge.message("lookup_model_load_failed", error=type(error).__name__)) from error
            return self._fallback

    def parse(self, text: str) -> Dict[str, Any]:
        """The parse result of `text` from the server, or from the in-process model if the server fails."""
        if self.clock() >= self._remote_down_until:
            try:
                result = self.remote(text)
                self.last_source = "rasa-server"
                return result
            except RasaUnavailable as error:
                LOG.warning("lookup: %s; using the in-process model", error)
                self._remote_down_until = self.clock() + self.retry_after_s
        parse = self.fallback()
        try:
            result = parse(text)
        except Exception as error:
            raise LookupUnavailable(knowledge.message("lookup_model_parse_failed", error=type(error).__name__)) from error
        self.last_source = "in-process"
        return result


@lru_cache(maxsize=1)
def default_ranker() -> Ranker:
    """The process-wide ranker over the configured Rasa server (created on first use)."""
    session = requests.Session()
    return Ranker(remote=lambda text: remote_parse(text, session=session))


@lru_cache(maxsize=1)
def live_answers() -> LiveAnswers:
    """The process-wide cache of the knowledge store's current answers (created on first use)."""
    return LiveAnswers()


def lookup(question: str, top: int = 3, parse: Optional[ParseFn] = None, now: Optional[datetime] = None,
           live: Optional[Mapping[str, str]] = None) -> List[Answer]:
    """The best `top` answers to a caller's question, ranked by the trained model, in the answers' current texts
    (`live`, else the knowledge store's, at most 30 s old)."""
    text = clean_question(question)
    if not text:
        return []
    result = (parse or default_ranker().parse)(text)
    return rank(result, top=top, now=now, live=live_answers().get_sync() if live is None else live)


# ---------------------------------------------------------------- application status


def backend_url() -> str:
    """The backend's base URL from the settings."""
    return get_settings().backend_url.rstrip("/")


def masked_status(record: Dict[str, Any]) -> Dict[str, Any]:
    """The fields a hotline agent needs from the backend's staff view, personal data masked.

    The backend already masks the ID and phone; the name and certificate number are masked here too,
    free text is scrubbed of ID-like and phone-like numbers, and photo/sender references are dropped.
    """
    def text(name: str) -> Optional[str]:
        """A free-text field, scrubbed; None stays None."""
        value = record.get(name)
        return None if value is None else scrub(str(value))

    cert = record.get("cert_number")
    return {
        "number": str(record.get("number") or ""),
        "status": str(record.get("status") or ""),
        "status_label": str(record.get("status_label") or ""),
        "review_reason": text("review_reason"),
        "reason": text("reason"),
        "qualification": text("qualification"),
        "level": text("level"),
        "specialty": text("specialty"),
        "obtained": text("obtained"),
        "applicant_name_masked": mask_name(record.get("applicant_name") or ""),
        "id_number_masked": scrub(str(record.get("id_number_masked") or "")),
        "phone_masked": scrub(str(record.get("phone_masked") or "")),
        "cert_number_masked": mask_id(cert) if cert else "",
        "cert_number_unknown": bool(record.get("cert_number_unknown")),
        "city": text("city"),
        "channel": text("channel"),
        "created_at": text("created_at"),
        "updated_at": text("updated_at"),
        "audit": [
            {
                "at": str(event.get("at") or ""),
                "from_status": event.get("from_status"),
                "to_status": event.get("to_status"),
                "reason": None if event.get("reason") is None else scrub(str(event.get("reason"))),
                "actor": None if event.get("actor") is None else scrub(str(event.get("actor"))),
            }
            for event in (record.get("audit") or [])
            if isinstance(event, dict)
        ],
    }


def backend_client(base_url: Optional[str] = None) -> HttpBackendClient:
    """The backend client the lookup asks with: the staff view needs one quick answer, so two attempts at most."""
    return HttpBackendClient(base_url or backend_url(), get_settings().backend_token, connect_timeout_s=CONNECT_TIMEOUT_S,
                             read_timeout_s=READ_TIMEOUT_S, policy=STATUS_POLICY)


@lru_cache(maxsize=1)
def _backend() -> Tuple[_LoopThread, HttpBackendClient]:
    """The process-wide backend client and the event loop it runs on (created on first use)."""
    return _LoopThread(), backend_client()


def status(number: str, staff_token: str, client: Optional[HttpBackendClient] = None) -> Dict[str, Any]:
    """An application's status from the backend's staff view (through `client`, else the shared one), masked."""
    number = str(number or "").strip().upper()
    if not is_application_number(number):
        raise StatusError(422, knowledge.message("lookup_status_bad_number"))
    if not staff_token:
        raise StatusError(401, knowledge.message("lookup_status_token_missing"))
    runner, shared = _backend()
    outcome = runner.run(asyncio.wait_for((client or shared).admin_record(number, staff_token), STATUS_POLICY.max_total_s + 5))
    if outcome.kind == "forbidden":
        raise StatusError(outcome.http_status or 401, knowledge.message("lookup_status_forbidden"))
    if outcome.kind == "not_found":
        raise StatusError(404, knowledge.message("lookup_status_not_found", number=number))
    if outcome.kind == "unreadable":
        raise StatusError(502, knowledge.message("lookup_status_unreadable"))
    if outcome.kind == "unavailable" and outcome.http_status is not None:
        raise StatusError(502, knowledge.message("lookup_status_backend_error", http_status=outcome.http_status))
    if outcome.kind == "unavailable":
        raise StatusError(503, knowledge.message("lookup_status_unavailable"))
    return masked_status(dict(outcome.record))


def answer_dict(item: Answer) -> Dict[str, Any]:
    """One Answer as a JSON-ready dict."""
    return {
        "key": item.key,
        "title": item.title,
        "confidence": item.confidence,
        "answer": item.answer_text,
        "sources": list(item.sources),
    }
