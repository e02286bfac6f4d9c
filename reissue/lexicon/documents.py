"""Which certificate a message is about: one of this service's qualifications, or a look-alike that is not.

Qualifications of this service come from qualifications.yml, look-alikes (with where to go instead and
the public source of that referral) from documents.yml, then from documents_reviewed.yml when a release has
exported the ones staff marked out of scope (`python -m backend.reviewed_export`). Aliases of all are matched
together, longest first and left to right, so "一级建造师注册证书" is the registration certificate, not the
qualification.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from reissue.lexicon.qualifications import LEXICON_DIR, load_lexicon
from reissue.parsing.text import clean

NO_SOURCE = "no source found"
# The look-alikes staff marked out of scope, written at release time; merged after documents.yml when present.
REVIEWED_PATH = LEXICON_DIR / "documents_reviewed.yml"
QUALIFICATION = "qualification"
DOCUMENT = "document"
EXAM_MATTER = "exam_matter"
PROVINCIAL = "provincial"
EXAM_MATTERS = "exam_matters"
# Right after an in-scope qualification, these words mean its registration (a different certificate).
REGISTRATION_AFTER = re.compile(
    r"^(?:的|证书的|资格的)?(?:电子)?(?:注册证书|注册证|执业证书|执业证|执业印章|注册章|延续注册|初始注册|变更注册|注销注册|增项注册|"
    r"重新注册|继续注册|注册)"
)
# Words that make a material (身份证, 毕业证 …) the subject of a question: it is lost, damaged or to be redone.
LOSS_WORDS = re.compile(
    r"丢|遗失|掉了|弄没|找不到|不见|被偷|损坏|损毁|坏了|破了|补办|补发|补领|补一|重办|重新办|换证|换发|换新|怎么换|去换|换个|换一|过期|挂失|到期|注销|办理|怎么办"
)
# A look-alike's name followed by one of these names an office ("职业技能鉴定站"), not a certificate — unless the
# office is named as the one that issued it ("技能鉴定中心发的证").
_INSTITUTION_AFTER = re.compile(r"^(?:站|中心|机构|所)(?!颁?发)")
# A look-alike named as what a certificate is needed for ("急着认定教资", "要考教资") rather than as the one lost.
_PURPOSE_BEFORE = re.compile(r"(?:认定|报考|考|评|申请|申报)$")
# A material about to expire ("身份证快过期了") still exists: that alone does not make it the subject.
_SOON = re.compile(r"(?:快|要|将|即将|马上)(?:要)?(?:过期|到期)")
# Within this many characters after a material, or right before it ("补办身份证"), a loss word makes it the subject.
MATERIAL_WINDOW = 10
_LOSS_BEFORE = re.compile(r"(?:丢了|丢失|遗失|补办|补领|补|重办|办)(?:个|张|本|一下|我的|了)?$")
# Two look-alikes named together ("驾驶证和行驶证") are both subjects; a later one after other words is incidental.
_TOGETHER = re.compile(r"^(?:和|与|及|跟|、|,|，|还有|以及|或者|或)$")
# Provinces other than Shandong (and the words people use for "another province").
OTHER_PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
    "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西",
    "西藏", "宁夏", "新疆", "香港", "澳门", "深圳", "广州", "杭州", "南京", "苏州", "武汉", "成都", "西安", "郑州",
    "石家庄", "合肥", "沈阳", "长沙", "福州", "厦门", "大连", "宁波",
)
_ELSEWHERE = re.compile(
    r"(外省|省外|外地|异地|别的省|其他省|其它省|" + "|".join(OTHER_PROVINCES) + r")(?:省|市|自治区)?"
    r"(?:那边|那里|当地)?(?:的)?(?:参加|报名|报考|考试|考的|考过|考下|考取|取得|拿的|拿到|考)"
)
# Exam matters in words ("什么时候报名", "成绩出来了吗", "合格线多少") — the exam, not the certificate.
_EXAM_WORDS = re.compile(
    r"(?:什么时候|何时|哪天|几号|几月)(?:开始)?(?:报名|考试|出成绩|查成绩|打印准考证)|报名(?:时间|入口|条件|费|网站)|"
    r"成绩(?:什么时候|出来|查询|复核|合格)|准考证|合格(?:标准|线|分数)|分数线|考试(?:时间|科目|大纲)"
)
_IN_SHANDONG_EXAM = re.compile(
    r"(?:在|是)(?:山东|本省|省内|济南|青岛|淄博|枣庄|东营|烟台|潍坊|济宁|泰安|威海|日照|临沂|德州|聊城|滨州|菏泽)(?:省|市)?(?:考|取得|拿|参加)"
)


@dataclass(frozen=True)
class Document:
    """A certificate or matter that is not this service, and where its holder should go instead."""

    key: str
    name: str
    category: str
    aliases: Tuple[str, ...]
    authority: str
    source: str
    document: str = ""
    material: bool = False
    qualification: str = ""

    @property
    def sourced(self) -> bool:
        """Whether a public page supports the referral."""
        return self.source != NO_SOURCE


@dataclass(frozen=True)
class Mention:
    """One certificate named in a text: a qualification of this service or a look-alike document."""

    start: int
    end: int
    kind: str
    key: str


def _key(text: str) -> str:
    """The form aliases and inputs are compared in."""
    return clean(text).lower()


def _variants(alias: str) -> List[str]:
    """An alias and the forms people also write for it: "…证书" as "…证", "…证" as "…资格证" / "…证书"."""
    forms = [alias]
    if alias.endswith("证书") and len(alias) > 3:
        forms.append(alias[:-1])
    elif alias.endswith("证") and not alias.endswith("资格证") and len(alias) > 2:
        forms += [alias[:-1] + "资格证", alias + "书"]
    return forms


def _entries(path: Path) -> Dict[str, Any]:
    """The `documents:` mapping of one lexicon file."""
    with open(path, encoding="utf-8") as handle:
        return dict((yaml.safe_load(handle) or {}).get("documents") or {})


@lru_cache(maxsize=1)
def load_documents() -> Dict[str, Document]:
    """Every look-alike of documents.yml, by key, then those of documents_reviewed.yml (when present) whose key
    documents.yml does not already use."""
    raw = _entries(LEXICON_DIR / "documents.yml")
    if REVIEWED_PATH.is_file():
        for key, item in _entries(REVIEWED_PATH).items():
            raw.setdefault(key, item)
    return {
        key: Document(
            key=key,
            name=str(item["name"]),
            category=str(item["category"]),
            aliases=tuple(dict.fromkeys([str(item["name"])] + [str(alias) for alias in item.get("aliases") or []])),
            authority=str(item["authority"]),
            source=str(item["source"]),
            document=str(item.get("document") or ""),
            material=bool(item.get("material", False)),
            qualification=str(item.get("qualification") or ""),
        )
        for key, item in raw.items()
    }


@lru_cache(maxsize=1)
def _alias_table() -> Tuple[Tuple[str, str, str], ...]:
    """(alias key, kind, key) for every alias of both files, longest alias first."""
    explicit: Dict[str, Tuple[str, str]] = {}
    for doc in load_documents().values():
        for alias in doc.aliases:
            explicit.setdefault(_key(alias), (DOCUMENT, doc.key))
    for qual in load_lexicon().qualifications.values():
        for alias in qual.aliases:
            explicit[_key(alias)] = (QUALIFICATION, qual.key)  # a qualification's own alias wins a tie
    rows = dict(explicit)
    for alias, owner in explicit.items():
        for form in _variants(alias)[1:]:
            rows.setdefault(form, owner)  # a written-out alias of another entry beats a derived form
    return tuple(sorted(((alias, kind, key) for alias, (kind, key) in rows.items() if alias),
                        key=lambda row: -len(row[0])))


def _registration_of(key: str) -> Document:
    """The registration certificate of a qualification (its own, or the general one)."""
    documents = load_documents()
    for doc in documents.values():
        if doc.category == "registration" and doc.qualification == key:
            return doc
    return documents["registration_certificate"]


def mentions(text: str) -> List[Mention]:
    """Every certificate named in `text`, left to right, longest alias first, never overlapping."""
    lowered = _key(text)
    taken = [False] * len(lowered)
    found: List[Mention] = []
    for alias, kind, key in _alias_table():
        start = lowered.find(alias)
        while start >= 0:
            end = start + len(alias)
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                found.append(Mention(start, end, kind, key))
            start = lowered.find(alias, start + 1)
    found.sort(key=lambda mention: mention.start)
    documents = load_documents()
    result: List[Mention] = []
    covered = 0
    for mention in found:
        if mention.start < covered:
            continue  # part of a registration certificate found just before ("二建" + "延续注册")
        after = REGISTRATION_AFTER.match(lowered[mention.end:])
        registrable = mention.kind == QUALIFICATION or documents[mention.key].category == PROVINCIAL
        if registrable and after:
            registration = _registration_of(mention.key)
            mention = Mention(mention.start, mention.end + after.end(), DOCUMENT, registration.key)
        result.append(mention)
        covered = mention.end
    return result


def _material_is_subject(lowered: str, mention: Mention) -> bool:
    """Whether a material (身份证 …) is itself lost or to be redone here, not just a thing to bring."""
    after = _SOON.sub("", lowered[mention.end:mention.end + MATERIAL_WINDOW])
    return bool(LOSS_WORDS.search(after) or _LOSS_BEFORE.search(lowered[max(0, mention.start - 4):mention.start]))


def subject_documents(text: str, follow_up: bool = False) -> List[Document]:
    """The look-alikes a message is about, in order; none when it names this service's qualification.

    A material of this service (身份证, 毕业证 …) counts only when it is itself lost or to be reissued:
    "身份证丢了怎么补" is about the identity card, "补办需要身份证吗" is not. Of several look-alikes, those named
    together with the first ("驾驶证和行驶证") count; one named later in passing does not, nor an office named
    after one ("职业技能鉴定站"). With a qualification named, only an exam matter ("一建报名时间", "一建成绩什么时候出")
    is a subject of its own. In a `follow_up` question of a message already about a certificate, a look-alike named
    as a purpose ("纸质的还能补吗 急着认定教资") is not a new subject.
    """
    found = mentions(text)
    documents = load_documents()
    lowered = _key(text)
    named: List[Document] = []
    previous_end = -1
    for mention in found:
        if mention.kind != DOCUMENT:
            continue
        doc = documents[mention.key]
        if doc.material and not _material_is_subject(lowered, mention):
            continue
        if _INSTITUTION_AFTER.match(lowered[mention.end:]):
            continue
        if follow_up and _PURPOSE_BEFORE.search(lowered[max(0, mention.start - 2):mention.start]):
            continue
        if named and not _TOGETHER.match(lowered[previous_end:mention.start]):
            previous_end = mention.end
            continue
        if doc not in named:
            named.append(doc)
        previous_end = mention.end
    if _EXAM_WORDS.search(lowered) and documents[EXAM_MATTERS] not in named and not named:
        named.append(documents[EXAM_MATTERS])
    if any(m.kind == QUALIFICATION for m in found):
        return [doc for doc in named if doc.category == EXAM_MATTER][:1]
    return named


def subject_document(text: str) -> Optional[Document]:
    """The first look-alike a message is about (see `subject_documents`), or None."""
    subjects = subject_documents(text)
    return subjects[0] if subjects else None


def named_document(text: str) -> Optional[Document]:
    """The first look-alike named in `text` (as the answer to "which certificate?"), if any."""
    return next((load_documents()[m.key] for m in mentions(text) if m.kind == DOCUMENT), None)


def named_qualification(text: str) -> Optional[str]:
    """The key of the first qualification of this service named in `text` (not as its registration)."""
    return next((m.key for m in mentions(text) if m.kind == QUALIFICATION), None)


def other_province(text: str) -> Optional[str]:
    """The other province (or "外省") where the certificate was obtained, if the text says so."""
    lowered = _key(text)
    found = _ELSEWHERE.search(lowered)
    if not found or _IN_SHANDONG_EXAM.search(lowered):
        return None
    return found.group(1)
