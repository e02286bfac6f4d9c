"""The lifecycle rules as pure functions."""
from __future__ import annotations

import pytest

from backend.lifecycle import ALL_STATUSES, ALLOWED, status_label, transition_error
from reissue.knowledge import fact


@pytest.mark.parametrize("current, target", [("已提交", "审核中"), ("审核中", "审核通过"), ("审核通过", "证书已发放")])
def test_allowed_steps(current, target):
    assert transition_error(current, target, None) is None


def test_rejection_needs_reason():
    assert "原因" in transition_error("审核中", "审核不通过", "  ")
    assert transition_error("审核中", "审核不通过", "照片不清楚") is None


@pytest.mark.parametrize("current", ALL_STATUSES)
def test_issue_only_after_approval(current):
    error = transition_error(current, "证书已发放", None)
    assert (error is None) == (current == "审核通过")


def test_final_states_and_unknown_status():
    assert ALLOWED["证书已发放"] == () and ALLOWED["审核不通过"] == ()
    assert "不能再改变" in transition_error("证书已发放", "审核中", None)
    assert "没有" in transition_error("已提交", "作废", None)


def test_labels_use_the_knowledge_base():
    assert fact("reviewing_agency") in status_label("已提交")
    assert all(status_label(s) != s for s in ALL_STATUSES)
