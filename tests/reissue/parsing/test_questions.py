"""Splitting one message into its questions, each with the statements that lead up to it."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reissue.parsing.questions import MAX_QUESTIONS, Question, is_question, split_questions


def texts(message: str) -> list:
    """The question texts of a message."""
    return [question.text for question in split_questions(message)]


@pytest.mark.parametrize(
    "message, expected",
    [
        ("要交钱吗？多久能办好？", ["要交钱吗?", "多久能办好?"]),
        ("补证要登报吗 大概多长时间 需要带什么", ["补证要登报吗", "大概多长时间", "需要带什么"]),
        ("补证要钱吗另外多久能拿到", ["补证要钱吗", "另外多久能拿到"]),
        ("證書遺失了需要登報嗎？要收費嗎", ["证书遗失了需要登报吗?", "要收费吗"]),
        ("补办在哪弄 网上有入口没", ["补办在哪弄", "网上有入口没"]),
        ("转人工 我要问补证要不要登报", ["转人工", "我要问补证要不要登报"]),
        ("经济师证书补办是谁审核 审核要几天", ["经济师证书补办是谁审核", "审核要几天"]),
    ],
)
def test_each_question_is_found_in_order(message: str, expected: list) -> None:
    assert texts(message) == expected


def test_statements_become_the_context_of_the_next_question() -> None:
    [first, second] = split_questions("我的证书丢了，要登报吗？多久能办好")
    assert first == Question("要登报吗?", "我的证书丢了")
    assert second.context == "" and first.with_context == "我的证书丢了，要登报吗?"


def test_greetings_and_fillers_are_dropped() -> None:
    assert split_questions("你好，请问一下，证书丢了怎么办") == [Question("证书丢了怎么办")]
    assert split_questions("你好") == [] and split_questions("") == []


def test_a_message_without_any_question_word_is_one_question() -> None:
    assert split_questions("一建证书丢了") == [Question("一建证书丢了")]


def test_statements_after_the_last_question_belong_to_it() -> None:
    assert texts("要多久，急用") == ["要多久，急用"]


def test_counting_words_in_statements_are_no_question() -> None:
    """"十几年", "没多久" state a time; they ask nothing."""
    assert split_questions("证书丢了有十几年了 现在还能补吗") == [Question("现在还能补吗", "证书丢了有十几年了")]
    assert not is_question("证书领了以后没多久就丢了")


def test_a_joining_word_marks_a_new_matter() -> None:
    questions = split_questions("教师资格证丢了怎么补？另外一建证书要登报吗")
    assert [q.joined for q in questions] == [False, True]


@given(st.text(max_size=300))
def test_never_raises_and_stays_bounded(message: str) -> None:
    questions = split_questions(message)
    assert len(questions) <= MAX_QUESTIONS
    assert all(question.text for question in questions)


def test_the_other_half_of_a_choice_stays_with_its_question() -> None:
    assert texts("需要去济南吗，还是在烟台就能交？另外要钱吗") == ["需要去济南吗，还是在烟台就能交?", "另外要钱吗"]
    assert texts("补证要登报吗 还是想问一下多久能好") == ["补证要登报吗", "还是想问一下多久能好"]
