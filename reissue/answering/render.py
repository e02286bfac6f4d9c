"""The reply to a plan: each question's answer from the knowledge base, in the order asked, in one message.

Pure (no Rasa): the actions and the hotline lookup both render plans with `render_plan`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence

from reissue import clock, knowledge
from reissue.answering.plan import ABSTAIN, MAX_ANSWERED, NOT_IN_GUIDE, OTHER_PROVINCE, OUT_OF_SCOPE, UNCLEAR
from reissue.hall import hall_status
from reissue.lexicon.documents import load_documents
from reissue.workdays import add_working_days

Button = Dict[str, str]
# Action labels the dialogue carries out itself (the form starts); the reply says nothing for them.
DIALOGUE_ACTIONS = frozenset({"start_reissue", "check_progress"})
# FAQ answers that name the receiving agency, and so can name the applicant's city too.
CITY_KEYS = frozenset({"where_to_apply", "department", "apply_online", "hall", "process"})
# FAQ answers about the photo, which can say whether the applicant's certificate needs one.
PHOTO_KEYS = frozenset({"photo", "materials"})
NEARBY_MIN_CONFIDENCE = 0.15
ACTION_TITLES = {
    "completion_date": "今天申请哪天能办好",
    "hall_open": "大厅现在开门吗",
    "handoff": "转人工",
    "start_reissue": "我要申请补办",
    "check_progress": "查询办理进度",
    "other_province": "外省取得的证书",
}


@dataclass(frozen=True)
class Reply:
    """What the assistant says: one text and its quick-reply buttons."""

    text: str
    buttons: List[Button] = field(default_factory=list)


def completion_text(start: date) -> str:
    """The expected completion date of an application made on `start`, from the working-day calendar."""
    result = add_working_days(start, int(knowledge.fact("promised_days")))
    note = f"（{result.note}）" if result.note else ""
    return knowledge.message("completion_date", today=clock.chinese_date(start), date=clock.chinese_date(result.date), note=note)


def title_of(label: str) -> str:
    """A short title for a label (the FAQ button title, an action's name)."""
    entries = knowledge.faq_entries()
    if label in entries:
        return entries[label].title
    return ACTION_TITLES.get(label, "")


def button_for(label: str) -> Optional[Button]:
    """A quick reply that asks the question of one label again, if it has a title."""
    title = title_of(label)
    return {"title": title, "payload": title} if title else None


def _faq_text(key: str, details: Mapping[str, str], live: Optional[Mapping[str, str]] = None) -> str:
    """An FAQ answer (its live text when staff changed it), with what it means for this applicant when the message
    said (city, certificate year)."""
    text = (live or {}).get(key) or knowledge.answer(key)
    year = details.get("year")
    if key in PHOTO_KEYS and year:
        needed = int(year) < int(knowledge.fact("photo_needed_before"))
        personal = knowledge.message("photo_needed_yes" if needed else "photo_needed_no", year=year)
        text = personal + "\n" + text
    if key in CITY_KEYS and details.get("city"):
        text += "\n" + knowledge.message("city_agency", city=details["city"])
    return text


def answer_text(label: str, details: Mapping[str, str], now: datetime,
                live: Optional[Mapping[str, str]] = None) -> str:
    """The answer to one planned question (empty for an action the dialogue carries out); `live`: the FAQ
    answers' current texts by key, from the knowledge store."""
    if label in knowledge.faq_entries():
        return _faq_text(label, details, live)
    if label == "completion_date":
        return completion_text(now.date())
    if label == "hall_open":
        return knowledge.message("hall_open", status=hall_status(now).message)
    if label == "handoff":
        return knowledge.message("handoff")
    if label == OTHER_PROVINCE:
        return knowledge.message("other_province", province=details.get("province") or "外省")
    if label.startswith(OUT_OF_SCOPE + ":"):
        document = load_documents().get(label.split(":", 1)[1])
        if document is not None:
            return knowledge.message("other_document", name=document.name, authority=document.authority)
        return knowledge.message("out_of_scope")
    if label == OUT_OF_SCOPE:
        return knowledge.message("out_of_scope")
    if label == NOT_IN_GUIDE:
        return knowledge.message("not_in_guide")
    if label == UNCLEAR:
        return knowledge.message("unclear")
    return ""


def _nearby(guesses: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The FAQ topic the abstained question is closest to, if the classifier saw one at all."""
    for guess in guesses:
        label = str(guess.get("label") or "")
        if label in knowledge.faq_entries() and float(guess.get("confidence") or 0.0) >= NEARBY_MIN_CONFIDENCE:
            return label
    return None


def render_plan(plan: Mapping[str, Any], now: datetime, live: Optional[Mapping[str, str]] = None) -> Reply:
    """The reply to a plan (the dict form stored in the parse data): up to three answers, the rest offered;
    FAQ answers in their `live` texts where given."""
    questions = [q for q in plan.get("questions") or [] if q.get("label") not in DIALOGUE_ACTIONS]
    shown, offered = questions[:MAX_ANSWERED], questions[MAX_ANSWERED:]
    several = len(shown) > 1
    parts: List[str] = []
    buttons: List[Button] = []
    for question in shown:
        label = str(question.get("label"))
        text = answer_text(label, question.get("details") or {}, now, live)
        if not text:
            continue
        nearby = _nearby(question.get("guesses") or []) if label == NOT_IN_GUIDE else None
        if nearby:
            text += knowledge.message("nearby", title=title_of(nearby))
            if button_for(nearby) not in buttons:
                buttons.append(button_for(nearby))  # type: ignore[arg-type]
        heading = title_of(label) if several and label not in ABSTAIN else ""
        if several and not heading:
            heading = str(question.get("text") or "")
        parts.append(f"【{heading}】{text}" if heading else text)
    if any(str(q.get("label")) == NOT_IN_GUIDE for q in shown):
        parts.append(knowledge.message("human_route"))
    if offered:
        parts.append(knowledge.message("more_questions", count=len(offered)))
        for question in offered:
            button = button_for(str(question.get("label"))) or {"title": str(question.get("text"))[:20],
                                                                 "payload": str(question.get("text"))}
            if button not in buttons:
                buttons.append(button)
    return Reply("\n".join(parts), buttons)
