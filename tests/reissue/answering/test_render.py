"""The reply to a plan: answers from the knowledge base in the order asked, abstentions, other documents."""
from __future__ import annotations

from datetime import date, datetime

from reissue import knowledge
from reissue.answering.render import MAX_ANSWERED, completion_text, render_plan
from reissue.clock import CHINA as SHANGHAI
from reissue.lexicon.documents import load_documents

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def q(label: str, text: str = "问题", **extra: object) -> dict:
    """One planned question."""
    return {"label": label, "text": text, "confidence": 0.9, "guesses": [], "details": {}, **extra}


def test_one_answer_is_the_faq_answer_itself() -> None:
    reply = render_plan({"questions": [q("fee")]}, NOW)
    assert reply.text == knowledge.answer("fee") and reply.buttons == []


def test_several_answers_come_in_the_order_asked_with_their_titles() -> None:
    reply = render_plan({"questions": [q("newspaper"), q("fee"), q("duration")]}, NOW)
    positions = [reply.text.index(knowledge.answer(key)) for key in ("newspaper", "fee", "duration")]
    assert positions == sorted(positions)
    assert f"【{knowledge.faq_entries()['fee'].title}】" in reply.text


def test_more_than_three_questions_answer_three_and_offer_the_rest() -> None:
    keys = ["fee", "newspaper", "duration", "photo", "hall"]
    reply = render_plan({"questions": [q(key) for key in keys]}, NOW)
    assert all(knowledge.answer(key) in reply.text for key in keys[:MAX_ANSWERED])
    assert knowledge.answer("photo") not in reply.text
    assert [b["title"] for b in reply.buttons] == [knowledge.faq_entries()[k].title for k in keys[MAX_ANSWERED:]]


def test_abstaining_says_so_offers_the_nearby_topic_and_the_human_route() -> None:
    question = q("not_in_guide", guesses=[{"label": "collect_reissued", "confidence": 0.3}])
    reply = render_plan({"questions": [question]}, NOW)
    assert knowledge.message("not_in_guide") in reply.text
    assert knowledge.message("human_route") in reply.text
    assert reply.buttons == [{"title": knowledge.faq_entries()["collect_reissued"].title,
                              "payload": knowledge.faq_entries()["collect_reissued"].title}]


def test_a_guess_too_weak_is_not_offered() -> None:
    question = q("not_in_guide", guesses=[{"label": "fee", "confidence": 0.05}])
    assert render_plan({"questions": [question]}, NOW).buttons == []


def test_another_document_is_named_with_where_to_go() -> None:
    teacher = load_documents()["teacher"]
    reply = render_plan({"questions": [q("out_of_scope:teacher")]}, NOW)
    assert teacher.name in reply.text and teacher.authority in reply.text
    assert knowledge.answer("fee") not in reply.text


def test_another_province_is_sent_to_its_issuing_body() -> None:
    reply = render_plan({"questions": [q("other_province", details={"province": "江苏"})]}, NOW)
    assert "江苏" in reply.text and "第十六条" in reply.text


def test_answers_that_depend_on_what_the_person_said() -> None:
    before = render_plan({"questions": [q("photo", details={"year": "2015"})]}, NOW).text
    after = render_plan({"questions": [q("photo", details={"year": "2019"})]}, NOW).text
    assert before.startswith("您的证书是2015年取得的，早于2017年，补办时需要") and knowledge.answer("photo") in before
    assert after.startswith("您的证书是2019年取得的") and "一般不需要照片" in after
    city = render_plan({"questions": [q("where_to_apply", details={"city": "青岛市"})]}, NOW).text
    assert knowledge.answer("where_to_apply") in city and "青岛市的人事考试机构" in city


def test_computed_answers_and_dialogue_actions() -> None:
    reply = render_plan({"questions": [q("completion_date"), q("start_reissue")]}, NOW)
    assert reply.text == completion_text(date(2026, 12, 1))
    assert render_plan({"questions": [q("check_progress")]}, NOW).text == ""


def test_an_unknown_label_says_nothing_rather_than_something_wrong() -> None:
    assert render_plan({"questions": [q("no_such_label")]}, NOW).text == ""
    assert render_plan({}, NOW).text == ""
