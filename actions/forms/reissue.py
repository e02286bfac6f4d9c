"""The reissue application form: eligibility first, then the certificate and applicant data."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import can_upload_photo, channel_of, fail_safe, first_entity
from actions.forms.base import QUESTION, ChineseFormValidationAction, Field
from actions.wiring import backend_client
from reissue import clock, knowledge
from reissue.application import DONT_KNOW, FIELD_LABELS, REASON_LABELS, SPECIALTY_UNKNOWN
from reissue.application import find_photo_ref as photo_ref_in
from reissue.lexicon import Qualification, find_city, find_level, find_qualification, find_specialty, get_qualification
from reissue.lexicon.documents import named_document
from reissue.masking import mask_id, mask_name, mask_phone
from reissue.parsing import answers, cert_number, dates, id_number, names, phone
from reissue.parsing.photo import check_photo
from reissue.parsing.result import Parsed

COMMON_QUALIFICATIONS = (
    "一级建造师", "一级造价工程师", "经济专业技术资格", "注册安全工程师", "计算机技术与软件专业技术资格", "执业药师",
)


def value_of(parsed: Parsed) -> Optional[Text]:
    """The value of a successful finder result, else None."""
    return parsed.value if parsed.ok else None


def qualification_of(tracker: Tracker) -> Optional[Qualification]:
    """The qualification chosen so far, from the lexicon."""
    name = tracker.get_slot("qualification")
    return get_qualification(name) if name else None


def photo_needed(tracker: Tracker) -> bool:
    """Certificates obtained before the photo year (2017) need the electronic photo."""
    obtained = tracker.get_slot("obtained")
    return bool(obtained) and int(str(obtained)[:4]) < int(knowledge.fact("photo_needed_before"))


# --- parsers of each field: text → Parsed --------------------------------------------------------


def parse_reason(text: Text, tracker: Tracker) -> Parsed:
    """遗失 / 损毁 / 从未领取 (or an already normalised code)."""
    reason = text if text in answers.REASONS else answers.parse_reason(text)
    if reason:
        return Parsed.success(reason)
    return Parsed.failure("reason", knowledge.message("form_error_reason"))


def yes_no(text: Text) -> Optional[bool]:
    """A yes/no answer; a question ("对了，要交钱吗") is never one."""
    return None if QUESTION.search(text) else answers.parse_yes_no(text)


def parse_collected(text: Text, tracker: Tracker) -> Parsed:
    """Was the certificate ever collected: yes / no."""
    value = yes_no(text)
    if value is None:
        return Parsed.failure("yes_no", knowledge.message("form_error_collected"))
    return Parsed.success("yes" if value else "no")


def parse_ecert(text: Text, tracker: Tracker) -> Parsed:
    """Has an e-certificate been issued: yes / no / don't know."""
    if DONT_KNOW.search(text):
        return Parsed.success("unknown")
    value = yes_no(text)
    if value is None:
        return Parsed.failure("yes_no", knowledge.message("form_error_ecert"))
    return Parsed.success("yes" if value else "no")


def find_qualification_name(text: Text, tracker: Tracker) -> Optional[Text]:
    """A qualification named in the message (NLU entity first, then the lexicon)."""
    entity = first_entity(tracker, "qualification")
    found = get_qualification(entity) if entity else None
    found = found or find_qualification(text)
    return found.name if found else None


def parse_qualification(text: Text, tracker: Tracker) -> Parsed:
    """A qualification name, normalised through the lexicon."""
    name = find_qualification_name(text, tracker)
    if name:
        return Parsed.success(name)
    other = named_document(text)
    if other:
        return Parsed.failure("other_service", knowledge.message("other_document", name=other.name, authority=other.authority))
    return Parsed.failure("qualification", knowledge.message("form_error_qualification"))


def find_level_value(text: Text, tracker: Tracker) -> Optional[Text]:
    """A level of the chosen qualification named in the message."""
    qualification = qualification_of(tracker)
    if qualification is None or len(qualification.levels) < 2:
        return None
    return find_level(text, qualification)


def parse_level(text: Text, tracker: Tracker) -> Parsed:
    """A level the chosen qualification really has."""
    qualification = qualification_of(tracker)
    level = find_level(text, qualification)
    if qualification and level in qualification.levels:
        return Parsed.success(level)
    choices = "、".join(qualification.levels) if qualification else knowledge.message("form_levels_any")
    return Parsed.failure("level", knowledge.message("form_error_level", choices=choices))


def find_specialty_value(text: Text, tracker: Tracker) -> Optional[Text]:
    """A known specialty of the chosen qualification named in the message."""
    qualification = qualification_of(tracker)
    return find_specialty(text, qualification) if qualification else None


def parse_specialty(text: Text, tracker: Tracker) -> Parsed:
    """A specialty: a known one, "不清楚", or a short free text."""
    known = find_specialty_value(text, tracker)
    if known:
        return Parsed.success(known)
    if DONT_KNOW.search(text):
        return Parsed.success(SPECIALTY_UNKNOWN)
    cleaned = text.strip(" 。，,.专业是")
    if re.fullmatch(r"[\u4e00-\u9fa5（）()A-Za-z0-9与和、]{2,30}", cleaned):
        return Parsed.success(cleaned)
    return Parsed.failure("specialty", knowledge.message("form_error_specialty"))


def find_obtained(text: Text, tracker: Tracker) -> Optional[Text]:
    """A year and month stated in the message."""
    return value_of(dates.find_year_month(text, date.today()))


def parse_obtained(text: Text, tracker: Tracker) -> Parsed:
    """Year and month obtained: a real month, not in the future, not before the qualification existed."""
    qualification = qualification_of(tracker)
    return dates.parse_year_month(text, date.today(), min_year=qualification.first_year if qualification else None)


def parse_name(text: Text, tracker: Tracker) -> Parsed:
    """The holder's name."""
    return names.validate_name(text)


def find_name(text: Text, tracker: Tracker) -> Optional[Text]:
    """A name stated with a cue ("我叫…")."""
    return value_of(names.find_name(text))


def parse_id(text: Text, tracker: Tracker) -> Parsed:
    """An 18-digit ID number with a correct check digit."""
    return id_number.validate_id_number(text)


def find_id(text: Text, tracker: Tracker) -> Optional[Text]:
    """An ID number inside the message."""
    return value_of(id_number.find_id_number(text))


def parse_cert_number(text: Text, tracker: Tracker) -> Parsed:
    """The certificate management number, checked loosely; "不记得" is allowed."""
    return cert_number.validate_cert_number(text)


def find_cert_number(text: Text, tracker: Tracker) -> Optional[Text]:
    """A management number stated with a cue ("管理号…")."""
    return value_of(cert_number.find_cert_number(text))


def parse_city(text: Text, tracker: Tracker) -> Parsed:
    """One of Shandong's 16 cities."""
    city = find_city_value(text, tracker)
    if city:
        return Parsed.success(city)
    return Parsed.failure("city", knowledge.message("form_error_city"))


def find_city_value(text: Text, tracker: Tracker) -> Optional[Text]:
    """A Shandong city named in the message."""
    entity = first_entity(tracker, "city")
    return find_city(entity) if entity else find_city(text)


def parse_phone(text: Text, tracker: Tracker) -> Parsed:
    """A mainland mobile number."""
    return phone.validate_phone(text)


def find_phone(text: Text, tracker: Tracker) -> Optional[Text]:
    """A mobile number inside the message (never digits inside an ID number)."""
    return value_of(phone.find_phone(text))


def find_photo_ref(text: Text, tracker: Tracker) -> Optional[Text]:
    """The reference the web widget sends after an upload."""
    return photo_ref_in(text)


def photo_message(key: Text, tracker: Tracker, **values: Any) -> Text:
    """A photo prompt in the words of the user's front end (WeChat: send an image; the widget: the upload card)."""
    wechat = f"{key}_wechat"
    return knowledge.message(wechat if channel_of(tracker) == "wechat" else key, **values)


async def parse_photo(text: Text, tracker: Tracker) -> Parsed:
    """Fetch the uploaded photo from the backend and check it against the guide's rules."""
    ref = find_photo_ref(text, tracker)
    if not ref:
        return Parsed.failure("photo", photo_message("form_error_photo", tracker))
    data = await backend_client().fetch_photo(ref)
    if data is None:
        return Parsed.failure("photo_missing", knowledge.message("form_error_photo_missing"))
    check = check_photo(data)
    if not check.ok:
        return Parsed.failure("photo_rules", knowledge.message("form_error_photo_rules", problems="；".join(check.problems)))
    return Parsed.success(ref)


def parse_confirmation(text: Text, tracker: Tracker) -> Parsed:
    """The applicant confirms the summary."""
    if not QUESTION.search(text) and (re.search(r"确认|提交|没问题|无误|正确", text) or answers.parse_yes_no(text) is True):
        return Parsed.success("yes")
    return Parsed.failure(
        "confirm", knowledge.message("form_error_confirm")
    )


def field_help(slot: Text) -> Text:
    """What the form says about a field after two misses (the photo rules for the photo)."""
    return knowledge.message("photo_rules" if slot == "photo_ref" else f"form_help_{slot}")


class ValidateReissueForm(ChineseFormValidationAction):
    """Validates the reissue form and decides which questions apply."""

    def name(self) -> Text:
        """The action name."""
        return "validate_reissue_form"

    def fields(self) -> Dict[Text, Field]:
        """Every field of the application, with its parser and help text."""
        parsers = {
            "reissue_reason": (parse_reason, lambda t, _: answers.parse_reason(t)),
            "ever_collected": (parse_collected, None),
            "has_ecert": (parse_ecert, None),
            "qualification": (parse_qualification, find_qualification_name),
            "level": (parse_level, find_level_value),
            "specialty": (parse_specialty, find_specialty_value),
            "obtained": (parse_obtained, find_obtained),
            "applicant_name": (parse_name, find_name),
            "id_number": (parse_id, find_id),
            "cert_number": (parse_cert_number, find_cert_number),
            "city": (parse_city, find_city_value),
            "phone": (parse_phone, find_phone),
            "photo_ref": (parse_photo, find_photo_ref),
            "confirmed": (parse_confirmation, None),
        }
        return {slot: Field(FIELD_LABELS[slot], parse, find, field_help(slot)) for slot, (parse, find) in parsers.items()}

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        """The questions that apply to this applicant, in order."""
        if tracker.get_slot("stop_reason"):
            return []
        slots = ["reissue_reason"]
        if tracker.get_slot("reissue_reason") != "damaged":
            slots.append("ever_collected")
        slots += ["has_ecert", "qualification"]
        qualification = qualification_of(tracker)
        if qualification and len(qualification.levels) > 1:
            slots.append("level")
        if qualification and qualification.has_specialty:
            slots.append("specialty")
        slots += ["obtained", "applicant_name", "id_number", "cert_number", "city", "phone"]
        if photo_needed(tracker) and can_upload_photo(tracker):
            slots.append("photo_ref")
        slots.append("confirmed")
        return slots

    def on_valid(
        self, slot: Text, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        """Divert ineligible applicants and keep dependent fields consistent."""
        if (slot == "reissue_reason" and value == "expired_uncollected") or (slot == "ever_collected" and value == "no"):
            dispatcher.utter_message(text=knowledge.answer("never_collected"))
            return {"stop_reason": "never_collected"}
        if slot == "has_ecert" and value == "yes":
            dispatcher.utter_message(text=knowledge.answer("ecert_no_reissue"))
            dispatcher.utter_message(text=knowledge.answer("ecert_download"))
            return {"stop_reason": "ecert"}
        if slot == "has_ecert" and value == "unknown":
            dispatcher.utter_message(
                text=knowledge.message("form_ecert_unknown")
            )
        if slot == "qualification":
            return self._levels_for(value, tracker)
        return {}

    @staticmethod
    def _levels_for(name: Text, tracker: Tracker) -> Dict[Text, Any]:
        """Set the only level a qualification has; drop a level or specialty that no longer fits."""
        qualification = get_qualification(name)
        if qualification is None:
            return {}
        update: Dict[Text, Any] = {}
        if len(qualification.levels) == 1:
            update["level"] = qualification.levels[0]
        elif tracker.get_slot("level") not in qualification.levels:
            update["level"] = None
        if not qualification.has_specialty:
            update["specialty"] = None
        return update


class ActionAskQualification(Action):
    """Asks which certificate, with buttons for the common ones."""

    def name(self) -> Text:
        """The action name."""
        return "action_ask_qualification"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Ask the question."""
        buttons = [{"title": name, "payload": name} for name in COMMON_QUALIFICATIONS]
        dispatcher.utter_message(
            text=knowledge.message("form_ask_qualification"), buttons=buttons
        )
        return []


class ActionAskLevel(Action):
    """Asks the level, offering the chosen qualification's levels as buttons."""

    def name(self) -> Text:
        """The action name."""
        return "action_ask_level"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Ask the question."""
        qualification = qualification_of(tracker)
        levels = qualification.levels if qualification else ()
        name = qualification.name if qualification else knowledge.message("form_certificate_any")
        dispatcher.utter_message(
            text=knowledge.message("form_ask_level", qualification=name),
            buttons=[{"title": level, "payload": level} for level in levels],
        )
        return []


class ActionAskPhotoRef(Action):
    """Asks for the electronic photo (web widget: an upload control; WeChat: an image message)."""

    def name(self) -> Text:
        """The action name."""
        return "action_ask_photo_ref"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Ask for the upload with the photo rules."""
        dispatcher.utter_message(
            text=photo_message("form_ask_photo", tracker, rules=knowledge.message("photo_rules")),
            json_message={"type": "photo_upload"},
        )
        return []


def summary_lines(slots: Dict[Text, Any], photo_note: Text) -> List[Text]:
    """The applicant's data for the confirmation summary, personal data masked."""
    qualification = slots.get("qualification") or ""
    extras = "，".join(part for part in (slots.get("level"), slots.get("specialty")) if part)
    obtained = slots.get("obtained") or ""
    values = {
        "reissue_reason": REASON_LABELS.get(slots.get("reissue_reason") or "", ""),
        "qualification": qualification + (f"（{extras}）" if extras else ""),
        "obtained": clock.chinese_year_month(obtained),
        "applicant_name": mask_name(slots.get("applicant_name") or ""),
        "id_number": mask_id(slots.get("id_number") or ""),
        "cert_number": slots.get("cert_number") or "",
        "city": slots.get("city") or "",
        "phone": mask_phone(slots.get("phone") or ""),
        "photo_ref": photo_note,
    }
    return [f"{FIELD_LABELS[slot]}：{value}" for slot, value in values.items()]


def photo_note(tracker: Tracker) -> Text:
    """What the summary says about the photo."""
    if not photo_needed(tracker):
        return knowledge.message("form_photo_not_needed")
    return knowledge.message("form_photo_checked") if tracker.get_slot("photo_ref") else knowledge.message("form_photo_pending")


class ActionAskConfirmed(Action):
    """Shows the masked summary and asks for explicit confirmation."""

    def name(self) -> Text:
        """The action name."""
        return "action_ask_confirmed"

    @fail_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """Show the summary."""
        if photo_needed(tracker) and not tracker.get_slot("photo_ref"):
            dispatcher.utter_message(text=knowledge.message("photo_no_upload"))
        lines = summary_lines(tracker.current_slot_values(), photo_note(tracker))
        dispatcher.utter_message(
            text=knowledge.message("form_summary", lines="\n".join(lines)),
            buttons=[knowledge.button("confirm_submit"), knowledge.button("cancel_application")],
        )
        return []
