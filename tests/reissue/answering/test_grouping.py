"""Grouping near-identical unanswered questions."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reissue.answering.grouping import SIMILARITY, Question, bigrams, group_questions, normalise, similarity

START = datetime(2026, 12, 1, 9, 0)


def question(number: int, text: str, minutes: int = 0, guesses=(), kind: str = "abstain",
             channel: str = "web") -> Question:
    """A question asked `minutes` after START."""
    return Question(id=number, text=text, kind=kind, channel=channel, guesses=tuple(guesses),
                    created_at=START + timedelta(minutes=minutes))


def test_normalising_folds_punctuation_width_case_traditional_and_mask_stars():
    assert normalise("補辦證書，要交錢嗎？ABC") == normalise("补办证书要交钱吗abc")
    assert normalise("身份证3701**********123X") == "身份证3701123x"


def test_similar_wordings_share_a_group_and_different_questions_do_not():
    groups = group_questions([
        question(1, "补办证书要交钱吗", 0, [("faq/fee", 0.30)]),
        question(2, "补办证书要交钱吗？", 5, [("faq/fee", 0.40), ("faq/process", 0.2)]),
        question(3, "補辦證書要交錢嗎", 9, [("faq/fee", 0.50)], channel="wechat"),
        question(4, "社保卡密码忘了怎么办", 10, kind="out_of_scope"),
    ])
    assert [g.ids for g in groups] == [[1, 2, 3], [4]]
    fee = groups[0]
    assert fee.count == 3 and fee.first_seen == START and fee.last_seen == START + timedelta(minutes=9)
    assert fee.samples == ["補辦證書要交錢嗎", "补办证书要交钱吗？", "补办证书要交钱吗"]
    assert fee.top_guesses == [("faq/fee", 0.4), ("faq/process", 0.2)]
    assert fee.channels == ["web", "wechat"] and fee.kinds == ["abstain"]


def test_frequent_order_puts_the_biggest_group_first_and_recent_the_newest():
    questions = [question(1, "能邮寄到家吗", 0), question(2, "能不能邮寄到家", 1), question(3, "能邮寄到家吗?", 2),
                 question(4, "周六大厅上班吗", 30)]
    assert [g.ids[0] for g in group_questions(questions, "frequent")] == [1, 4]
    assert [g.ids[0] for g in group_questions(questions, "recent")] == [4, 1]


def test_ties_in_frequency_go_newest_first():
    questions = [question(1, "能邮寄到家吗", 0), question(2, "周六大厅上班吗", 30)]
    assert [g.ids[0] for g in group_questions(questions)] == [2, 1]


def test_samples_are_distinct_and_at_most_five():
    groups = group_questions([question(n, "能邮寄到家吗" + "？" * (n % 2), n) for n in range(1, 9)]
                             + [question(20 + n, f"能邮寄到家吗{'啊' * n}", 20 + n) for n in range(1, 6)])
    assert len(groups) == 1 and groups[0].count == 13
    assert len(groups[0].samples) == 5 and len(set(groups[0].samples)) == 5


def test_similarity_is_dice_of_bigrams():
    assert similarity(bigrams("abcd"), bigrams("abcd")) == 1.0
    assert similarity(bigrams("abcd"), bigrams("wxyz")) == 0.0
    assert similarity(bigrams("abc"), bigrams("abd")) == 0.5
    assert similarity(frozenset(), frozenset()) == 1.0
    assert bigrams("a") == frozenset(["a"]) and bigrams("？") == frozenset()


def brute_force_groups(questions, threshold=SIMILARITY):
    """The reference: every question compared with every group's first question."""
    groups = []
    for question in sorted(questions, key=lambda q: (q.created_at, q.id)):
        grams = bigrams(question.text)
        best, best_score = None, threshold
        for group in groups:
            score = similarity(grams, group[0])
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            best = (grams, [])
            groups.append(best)
        best[1].append(question.id)
    return sorted(sorted(ids) for _, ids in groups)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="补证书要钱吗多久登报？ ，a", max_size=12), max_size=30))
def test_the_bigram_index_groups_exactly_as_comparing_with_every_group(texts) -> None:
    questions = [Question(i, text, "abstain", "rest", (), datetime(2026, 12, 1, 9, i % 60)) for i, text in enumerate(texts)]
    assert sorted(g.ids for g in group_questions(questions)) == brute_force_groups(questions)
