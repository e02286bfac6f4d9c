"""Reviewed training examples: selection against the evaluation questions and the training data, and the file."""
from __future__ import annotations

import yaml

from reissue.answering.reviewed import nlu_yaml, one_line, reduced, select_examples

EVALUATION = ["补办证书需要交工本费吗，我怕被骗"]


def test_an_evaluation_question_or_a_near_copy_is_never_kept():
    export = select_examples([("fee", "补办证书需要交工本费吗，我怕被骗"), ("fee", "补办证书需要交工本费吗？我怕被骗啊"),
                              ("fee", "补证要给钱不")], EVALUATION, {})
    assert export.examples == {"fee": ["补证要给钱不"]}
    assert export.near_evaluation == 2


def test_a_text_already_taught_or_seen_is_left_out_and_the_first_key_wins():
    trained = {reduced("能邮寄吗"): "faq/mail"}
    export = select_examples([("mail", "能邮寄吗？"), ("fee", "补证要给钱不"), ("process", "补证要给钱不!")],
                             EVALUATION, trained)
    assert export.examples == {"fee": ["补证要给钱不"]}
    assert export.already_taught == 1


def test_texts_become_one_line_without_entity_brackets():
    assert one_line("补证\n  要[多少]钱 {x}") == "补证 要【多少】钱 （x）"


def test_the_file_is_rasa_nlu_yaml_with_retrieval_intents():
    text = nlu_yaml({"fee": ["补证要给钱不", "- 开头有横线"], "mail": ["能寄到家吗"]})
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert [block["intent"] for block in data["nlu"]] == ["faq/fee", "faq/mail"]
    assert data["nlu"][0]["examples"].splitlines() == ["- 补证要给钱不", "- - 开头有横线"]
    assert yaml.safe_load(nlu_yaml({}))["nlu"] == []
