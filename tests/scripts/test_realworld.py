"""Tests of the real-world scoring rules and of the frozen set's integrity."""
from __future__ import annotations

from typing import Optional

import pytest

from reissue import knowledge
from reissue.answering.plan import LEANS_ON_UNANSWERED, Thresholds
from scripts.realworld import PARTS, Item, judge, legacy_labels, load_items, predicted_labels, rethreshold, score

DOCS = {"教师资格证": "teacher", "教资": "teacher", "身份证": "id_card"}
ACTIONS = {"completion_date", "hall_open", "start_reissue", "check_progress", "handoff"}
ABSTAIN_AND_SCOPE = {"not_in_guide", "unclear", "out_of_scope", "other_province"}


def resolve(name: str) -> Optional[str]:
    """A small document resolver for the tests."""
    return DOCS.get(name)


def item(*answers: str, also: tuple = (), document: Optional[str] = None, text: str = "要交钱吗") -> Item:
    """An item with these labels."""
    return Item("t-1", text, tuple(answers), tuple(also), document, "paraphrase")


def test_all_asked_answers_and_nothing_else_is_fully_right() -> None:
    verdict = judge(item("fee", "duration"), ["fee", "duration"], resolve)
    assert verdict.fully_right and not verdict.answered_wrong and not verdict.missing


def test_a_dropped_question_is_not_fully_right_but_not_wrong() -> None:
    verdict = judge(item("fee", "duration"), ["duration"], resolve)
    assert not verdict.fully_right and not verdict.answered_wrong and verdict.missing == ("fee",)


def test_an_extra_answer_is_wrong_unless_listed_as_also() -> None:
    assert judge(item("urgent"), ["urgent", "materials"], resolve).answered_wrong
    assert judge(item("urgent", also=("ecert_download",)), ["urgent", "ecert_download"], resolve).fully_right


def test_abstaining_is_right_for_not_in_guide_and_unclear_only() -> None:
    assert judge(item("not_in_guide"), ["not_in_guide"], resolve).fully_right
    assert judge(item("unclear"), ["not_in_guide"], resolve).fully_right
    answered = judge(item("not_in_guide"), ["materials"], resolve)
    assert answered.answered_wrong and not answered.abstained
    needless = judge(item("fee"), ["fee", "not_in_guide"], resolve)
    assert not needless.fully_right and not needless.answered_wrong


def test_documents_are_compared_by_lexicon_key() -> None:
    assert judge(item("out_of_scope:教师资格证"), ["out_of_scope:teacher"], resolve).fully_right
    wrong_doc = judge(item("out_of_scope:教师资格证"), ["out_of_scope:id_card"], resolve)
    assert wrong_doc.answered_wrong
    vague = judge(item("out_of_scope:教师资格证"), ["out_of_scope"], resolve)
    assert not vague.fully_right and not vague.answered_wrong
    unknown = judge(item("out_of_scope:预防接种证"), ["out_of_scope:vaccination"], resolve)
    assert not unknown.fully_right


def test_refusing_an_in_scope_question_is_wrong_and_counted() -> None:
    verdict = judge(item("fee", document="一级建造师"), ["out_of_scope"], resolve)
    assert verdict.refused and verdict.answered_wrong


def test_kinds_are_computed_from_the_item() -> None:
    long_text = "我是二〇一二年在济南考的中级经济师，去年搬家把证书弄丢了，现在单位评职称需要原件，请问怎么补办？"
    assert set(item("process", "duration", text=long_text).kinds()) >= {"multi", "long", "paraphrase"}
    assert "traditional" in item("fee", text="補辦證書要繳費嗎").kinds()
    assert "lookalike" in item("out_of_scope:教资").kinds()
    assert "in_scope_document" in item("fee", document="一级建造师").kinds()
    assert "in_scope_document" not in item("out_of_scope:教资", document="教师资格证").kinds()


def test_legacy_labels_read_the_plain_pipeline() -> None:
    faq = {"intent": {"name": "faq"}, "response_selector": {"faq": {"response": {"intent_response_key": "faq/fee"}}}}
    assert legacy_labels(faq) == ["fee"]
    assert legacy_labels({"intent": {"name": "inform"}}) == ["start_reissue"]
    assert legacy_labels({"intent": {"name": "nlu_fallback"}}) == ["unclear"]
    assert predicted_labels({"answer_plan": {"questions": [{"label": "fee"}, {"label": "duration"}]}}) == ["fee", "duration"]


def test_score_counts_per_kind() -> None:
    items = [item("fee"), item("not_in_guide", text="能英文版吗")]
    report = score(items, lambda text: ["fee"], resolve)
    assert report.kind("all").total == 2 and report.kind("all").fully_right == 1
    assert report.targets()["not_in_guide_abstained"] == 0.0 and len(report.misses) == 1


@pytest.mark.parametrize("part", PARTS)
def test_the_frozen_parts_use_known_labels_only(part: str) -> None:
    """Every label is an FAQ key, an action, or an abstention / scope label; ids are unique."""
    items = load_items(part)
    known = set(knowledge.faq_entries()) | ACTIONS | ABSTAIN_AND_SCOPE
    for entry in items:
        for label in entry.answers + entry.also:
            assert label in known or label.startswith("out_of_scope:"), (entry.id, label)
    assert len({entry.id for entry in items}) == len(items)


def test_the_set_has_the_kinds_it_promises() -> None:
    """≥600 items; ≥150 multi-question, ≥100 not in guide, ≥150 look-alike over ≥40 documents, ≥100 long, ≥50 Traditional."""
    items = [entry for part in PARTS for entry in load_items(part)]
    kinds = [kind for entry in items for kind in entry.kinds()]
    documents = {label for entry in items for label in entry.answers if label.startswith("out_of_scope:")}
    assert len(items) >= 600
    assert kinds.count("multi") >= 150 and kinds.count("not_in_guide") >= 100
    assert kinds.count("lookalike") >= 150 and len(documents) >= 40
    assert kinds.count("long") >= 100 and kinds.count("traditional") >= 50


def test_rethresholding_answers_unsure_abstentions_but_keeps_those_leaning_on_an_unanswered_question() -> None:
    guesses = [{"label": "fee", "confidence": 0.6}, {"label": "hall", "confidence": 0.1}]
    unsure = {"label": "not_in_guide", "confidence": 0.6, "guesses": guesses, "details": {}}
    leaning = {**unsure, "details": {"abstained": LEANS_ON_UNANSWERED}}
    assert rethreshold({"questions": [unsure]}, Thresholds(answer=0.5)) == ["fee"]
    assert rethreshold({"questions": [unsure]}, Thresholds(answer=0.7, lead_floor=0.7)) == ["not_in_guide"]
    assert rethreshold({"questions": [leaning]}, Thresholds(answer=0.5)) == ["not_in_guide"]
    assert rethreshold({"questions": [leaning]}, Thresholds(answer=0.5, after_abstention=0.55)) == ["fee"]
