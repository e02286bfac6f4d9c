"""The answer plan: each question's label from a classifier and the lexicon (a fake classifier here)."""
from __future__ import annotations

from datetime import date
from typing import Dict, List, Sequence

from reissue.answering.plan import Plan, PlannedQuestion, Planner, Thresholds

# What the fake classifier says for texts containing these words (first match wins).
CUES = [
    ("钱", "fee"), ("登报", "newspaper"), ("多久", "duration"), ("照片", "photo"), ("去哪", "where_to_apply"),
    ("英文版", "not_in_guide"), ("你好", "greet"), ("我要补办", "start_reissue"), ("咋补", "start_reissue"),
    ("天气", "out_of_scope"), ("成绩", "out_of_scope"), ("补", "process"),
]


def fake_classifier(confidence: float = 0.9):
    """A classifier answering from CUES with `confidence`, spreading the rest over two other labels."""
    calls: List[Sequence[str]] = []

    def classify(texts: Sequence[str]) -> List[Dict[str, float]]:
        calls.append(list(texts))
        scores = []
        for text in texts:
            label = next((label for cue, label in CUES if cue in text), "materials")
            rest = [other for other in ("materials", "hall", "fee") if other != label][:2]
            scores.append({label: confidence, **dict.fromkeys(rest, (1 - confidence) / 2)})
        return scores

    classify.calls = calls  # type: ignore[attr-defined]
    return classify


def plan(text: str, confidence: float = 0.9, **thresholds: float) -> Plan:
    """The plan of a text with the fake classifier."""
    result = Planner(fake_classifier(confidence), Thresholds(**thresholds), today=lambda: date(2026, 12, 1)).plan(text)
    assert result is not None
    return result


def test_every_question_is_planned_in_order_with_its_intent() -> None:
    result = plan("要交钱吗？多久能办好？")
    assert result.labels == ["fee", "duration"] and result.intent == "faq"


def test_a_single_question_is_classified_on_the_whole_message() -> None:
    classify = fake_classifier(0.6)
    result = Planner(classify, Thresholds(answer=0.5)).plan("你好，补证要钱吗")
    assert classify.calls == [["你好，补证要钱吗"]] and result.labels == ["fee"]


def test_a_question_with_context_is_classified_with_it_when_that_is_surer() -> None:
    """"…丢了，咋补" alone is vague; with "一建证书丢了" before it the classifier is surer, and that is used."""
    def classify(texts):
        return [{"process": 0.9} if "一建" in text else {"process": 0.5, "fee": 0.45} for text in texts]
    result = Planner(classify, Thresholds(answer=0.6)).plan("一建证书丢了，咋补？要钱吗")
    assert result.labels[0] == "process"


def test_unsure_answers_abstain_and_keep_their_guesses() -> None:
    result = plan("补证要钱吗", confidence=0.4, answer=0.5)
    [question] = result.questions
    assert question.label == "not_in_guide" and question.guesses[0][0] == "fee"
    assert result.intent == "not_in_guide"


def test_a_question_the_classifier_puts_outside_the_guide_abstains() -> None:
    assert plan("补发的证书能出英文版吗").labels == ["not_in_guide"]


def test_a_look_alike_document_is_routed_with_its_key_and_later_questions_stay_with_it() -> None:
    result = plan("教师资格证丢了怎么补？要登报吗？多久能好")
    assert result.labels == ["out_of_scope:teacher"] and result.intent == "out_of_scope"


def test_a_new_matter_after_a_look_alike_is_answered() -> None:
    assert plan("教师资格证丢了怎么补？另外一建证书要登报吗").labels == ["out_of_scope:teacher", "newspaper"]


def test_a_look_alike_named_later_as_a_purpose_is_no_second_document() -> None:
    result = plan("普通话水平测试等级证书丢了，在哪个网站能下载？纸质的还能补吗？急着认定教资")
    assert result.labels == ["out_of_scope:putonghua"]
    assert plan("普通话证书丢了怎么补？教资也丢了，怎么补").labels == ["out_of_scope:putonghua", "out_of_scope:teacher"]


def test_a_certificate_from_another_province_is_sent_to_its_issuer() -> None:
    result = plan("我在江苏考的一建，证书丢了要交钱吗")
    assert result.labels == ["other_province"] and result.questions[0].details["province"] == "江苏"


def test_a_named_qualification_is_not_refused_on_a_weak_out_of_scope_guess() -> None:
    refusing = Planner(lambda texts: [{"out_of_scope": 0.6, "process": 0.4} for _ in texts], Thresholds(answer=0.3))
    assert refusing.plan("一建证书丢了怎么补").labels == ["process"]


def test_greetings_alone_are_left_to_the_dialogue() -> None:
    assert Planner(fake_classifier()).plan("你好") is None
    assert Planner(fake_classifier()).plan("") is None


def test_asking_how_is_not_starting_the_form() -> None:
    assert plan("一建丢了 咋补").labels == ["process"]
    assert plan("我要补办").intent == "start_reissue"


def test_details_the_answer_depends_on() -> None:
    [question] = plan("我的一建证书是2015年的，在青岛，要照片吗").questions
    assert question.details == {"year": "2015", "city": "青岛市", "qualification": "constructor_1"}


def test_plan_as_data() -> None:
    question = PlannedQuestion("fee", "要钱吗", 0.91234, (("fee", 0.91234),), {"city": "济南市"})
    assert Plan((question,)).to_dict() == {
        "questions": [{"label": "fee", "text": "要钱吗", "confidence": 0.9123,
                       "guesses": [{"label": "fee", "confidence": 0.9123}], "details": {"city": "济南市"}}],
        "intent": "faq",
    }


def test_a_clear_winner_below_the_threshold_is_answered_and_a_narrow_one_abstains() -> None:
    thresholds = Thresholds(answer=0.45, lead_floor=0.35, lead_ratio=3.0)
    clear = Planner(lambda texts: [{"fee": 0.38, "duration": 0.12, "materials": 0.1} for _ in texts], thresholds)
    narrow = Planner(lambda texts: [{"fee": 0.38, "duration": 0.2, "materials": 0.1} for _ in texts], thresholds)
    faint = Planner(lambda texts: [{"fee": 0.3, "duration": 0.05, "materials": 0.05} for _ in texts], thresholds)
    assert clear.plan("补证要钱吗").labels == ["fee"]
    assert narrow.plan("补证要钱吗").labels == ["not_in_guide"]
    assert faint.plan("补证要钱吗").labels == ["not_in_guide"]


def follow_up_classifier(follow_up_guess: str):
    """Sure of 登报 questions; unsure of the rest, with `follow_up_guess` as the best guess."""
    def classify(texts: Sequence[str]) -> List[Dict[str, float]]:
        return [{"newspaper": 0.9, "fee": 0.05, "hall": 0.05} if "登报" in text
                else {follow_up_guess: 0.3, "materials": 0.25, "hall": 0.2} for text in texts]
    return classify


def test_an_unsure_follow_up_on_an_answered_topic_is_covered_and_another_topic_still_abstains() -> None:
    text = "要先登报吗？等一个月以后才能办？"
    assert Planner(follow_up_classifier("newspaper")).plan(text).labels == ["newspaper"]
    assert Planner(follow_up_classifier("fee")).plan(text).labels == ["newspaper", "not_in_guide"]


def test_a_question_leaning_on_an_unanswered_one_abstains_unless_very_sure() -> None:
    text = "补的证能做成英文版吗？那要交钱吗"
    assert plan(text, confidence=0.85).labels == ["not_in_guide"]
    assert plan(text, confidence=0.95).labels == ["not_in_guide", "fee"]
    assert plan("补的证能做成英文版吗？要交钱吗", confidence=0.85).labels == ["not_in_guide", "fee"]
    assert plan("补证要登报吗？那要交钱吗", confidence=0.85).labels == ["newspaper", "fee"]
