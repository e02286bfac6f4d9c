"""Short answers: yes/no, and the reason for the reissue (lost, damaged, not collected)."""
from __future__ import annotations

import re
from typing import Optional

from reissue.application import REASONS
from reissue.parsing.text import clean

__all__ = ["REASONS", "parse_reason", "parse_yes_no"]
# Phrases that contain a negative character but mean yes, or mean nothing about yes/no.
_YES_DESPITE_NEGATION = ("没错", "没问题", "不错", "没毛病", "对不对都", "可不是")
_NEUTRALISE = ("不过", "不小心", "找不到", "不见了", "弄没了", "搞没了", "丢没了", "没了", "不清楚了", "不能用")
_UNKNOWN = re.compile(r"不知道|不清楚|不确定|不记得|记不清|忘了|说不准|不太清楚|不好说|不晓得|也许|可能吧")
_NO = re.compile(
    r"没有|没领|没拿|没收到|没去领|没|不是|不对|不用|不要|不需要|不曾|不行|不可以|不好|不能|从未|从来没|未|^不"
    r"|^否|否$|^无$|^no$|^n$|^nope$"
    r"|^不[。.!！,，]?$|^不[,，。]"
)
_YES = re.compile(
    r"^是|是的|对|嗯|恩|好的|好|领过|领了|拿过|拿到|有的|^有|有过|收到|可以|行|确认|确定|没错|正确|^yes$|^y$|^ok$|^okay$"
    r"|^对的|^ok|当然"
)
_NEVER_COLLECTED = re.compile(
    r"没领|未领|从来没拿到|从没拿到|没拿到|一直没拿|没有领|没去领|没收到|没有拿到|未取|没取|忘了领|没来得及领|过了领取时间"
)
_LOST = re.compile(r"丢|遗失|找不到|弄没了|搞没了|没了|被偷|被盗|不见了|掉了|遗落|忘在|搬家.*没")
_DAMAGED = re.compile(
    r"坏|损毁|损坏|烧|泡水|水泡|被水|撕|破损|破了|污损|弄脏|受潮|发霉|霉了|模糊|折断|断了|咬|缺角|烂了|残缺"
)
_NOT_LOST = re.compile(r"没丢|不是丢|没有丢|没遗失|没有遗失|没弄丢")
_NOT_DAMAGED = re.compile(r"没坏|不是坏|没有坏|没损坏|没有损坏")


def parse_yes_no(text: str) -> Optional[bool]:
    """True for yes (是/对/领过/有/嗯/好的…), False for no (没有/没领/不是/否…), None when unclear."""
    try:
        value = clean(text).lower().strip(" 。.!！~～")
        if not value or _UNKNOWN.search(value):
            return None
        if any(phrase in value for phrase in _YES_DESPITE_NEGATION):
            return True
        for phrase in _NEUTRALISE:
            value = value.replace(phrase, "、")
        if _NO.search(value):
            return False
        if _YES.search(value):
            return True
        return None
    except Exception:  # noqa: BLE001 - never raise on user input
        return None


def parse_reason(text: str) -> Optional[str]:
    """A reason of `REASONS` ("lost", "damaged", "expired_uncollected") from a description of what happened; None when unclear."""
    try:
        value = clean(text)
        if _NEVER_COLLECTED.search(value):
            return "expired_uncollected"
        lost = bool(_LOST.search(_NOT_LOST.sub("、", value)))
        damaged = bool(_DAMAGED.search(_NOT_DAMAGED.sub("、", value)))
        if lost and damaged:
            return _first_of(value)
        if lost:
            return "lost"
        if damaged:
            return "damaged"
        return None
    except Exception:  # noqa: BLE001
        return None


def _first_of(value: str) -> str:
    """When a message mentions both, the reason named first."""
    lost = _LOST.search(_NOT_LOST.sub("、", value))
    damaged = _DAMAGED.search(_NOT_DAMAGED.sub("、", value))
    if lost and damaged and damaged.start() < lost.start():
        return "damaged"
    return "lost"
