"""The documents lexicon: look-alikes with where to go and a source, and which certificate a text is about."""
from __future__ import annotations

import re

import pytest

from reissue.lexicon import load_lexicon
from reissue.lexicon.documents import (
    NO_SOURCE,
    load_documents,
    mentions,
    named_document,
    named_qualification,
    other_province,
    subject_documents,
)
from tests.reissue.lexicon.lexicon_helpers import reviewed_documents_at

CATEGORIES = {"identity", "licence", "diploma", "title", "skill", "withdrawn", "other_ministry", "association",
              "registration", "provincial", "exam_no_qualification", "exam_matter"}
URL = re.compile(r"^https?://\S+$")


def keys(text: str) -> list:
    """The keys of the look-alikes a text is about."""
    return [doc.key for doc in subject_documents(text)]


def test_at_least_sixty_look_alikes_each_with_authority_category_and_source(tmp_path) -> None:
    """Every hand-kept look-alike says where to go and names a public source, or says plainly that none was found.

    Staff-reviewed entries (documents_reviewed.yml, present on a release machine after the export) are checked by
    the export itself, so this reads documents.yml alone.
    """
    with reviewed_documents_at(tmp_path / "none.yml"):
        documents = load_documents()
    assert len(documents) >= 60
    for doc in documents.values():
        assert doc.category in CATEGORIES, doc.key
        assert doc.authority and doc.name in doc.aliases
        assert URL.match(doc.source) or doc.source == NO_SOURCE, (doc.key, doc.source)
    unsourced = [doc for doc in documents.values() if not doc.sourced]
    assert len(unsourced) <= len(documents) // 10, [doc.key for doc in unsourced]
    for doc in unsourced:  # without a source, only a pointer to whoever issued it — never a named office
        assert any(word in doc.authority for word in ("证书上", "原发证", "发证的", "出具证书的", "12345")), doc.key


def test_every_in_scope_qualification_names_its_source() -> None:
    """The qualifications of this service say which public page shows they are issued through 人事考试."""
    missing = [qual.key for qual in load_lexicon().qualifications.values() if not URL.match(qual.source)]
    assert missing == ["equipment_supervisor"]  # no page found either way; says so in qualifications.yml


def test_no_alias_names_a_qualification_and_a_look_alike() -> None:
    """An alias of this service's qualifications is never also a look-alike's."""
    qualification_aliases = {alias.lower() for qual in load_lexicon().qualifications.values() for alias in qual.aliases}
    for doc in load_documents().values():
        assert not {alias.lower() for alias in doc.aliases} & qualification_aliases, doc.key


@pytest.mark.parametrize(
    "text, expected",
    [
        ("教师资格证丢了怎么补", ["teacher"]),
        ("身份证丢了怎么补办", ["id_card"]),
        ("我在济南住了好几年 身份证是老家的 丢了能不能在济南直接补", ["id_card"]),
        ("一建注册证书丢了", ["constructor_registration"]),
        ("注安执业证丢了", ["safety_registration"]),
        ("二级建造师延续注册要准备什么", ["constructor_2_registration"]),
        ("二建证书丢了", ["constructor_2"]),
        ("初级会计证书丢了", ["accounting"]),
        ("中级会计资格证丢失后要登报声明吗", ["accounting"]),
        ("职称证书丢了", ["title_certificate"]),
        ("高级经济师证书丢了", ["title_certificate"]),
        ("驾驶证和行驶证一起丢在出租车上了", ["driving_licence", "vehicle_licence"]),
        ("普通话水平测试等级证书丢了 纸质的还能补吗 急着认定教资", ["putonghua"]),
        ("一建成绩什么时候出", ["exam_matters"]),
        ("中级注册安全工程师考试什么时候报名", ["exam_matters"]),
        ("护师资格证补办流程是啥", ["health"]),
        ("以前发的高级电工证丢了能补吗", ["skill_level_certificate"]),
        ("低压电工证丢了能补吗", ["special_operation_certificate"]),
        ("消防设施操作员证书丢了 是找当地职业技能鉴定站吗", ["fire_facility_operator"]),
        ("技能鉴定中心发的证丢了", ["skill_level_certificate"]),
        ("身份证快过期了，怎么换", ["id_card"]),
        ("身份证过期了能补证吗", ["id_card"]),
        ("叉车证丢了怎么补", ["special_equipment_certificate"]),
        ("叉车驾驶证丢了去哪补", ["special_equipment_certificate"]),
        ("一建B证丢了怎么补办", ["construction_safety_manager"]),
        ("以前考的中级焊工证丢了", ["skill_level_certificate"]),
        ("汽车维修工证书丢了能补吗", ["skill_level_certificate"]),
        ("出租车从业资格证丢了怎么办", ["taxi_driver"]),
        ("网约车驾驶员证丢了", ["taxi_driver"]),
        ("食品经营许可证丢了怎么补", ["food_business_licence"]),
        ("户口迁移证弄丢了", ["hukou_transfer"]),
        ("老人的死亡证明丢了能补吗", ["death_certificate"]),
        ("团员证丢了去哪补", ["league_member_card"]),
        ("毕业好几年了 学籍证明去哪开", ["school_records"]),
        ("机动车登记证书丢了", ["vehicle_registration"]),
        ("公交卡和银行卡都丢了", ["transit_card", "bank_card"]),
        ("CFA证书丢了怎么补", ["cfa"]),
        ("ACCA证书丢了", ["acca"]),
        ("组织机构代码证丢了还能补吗", ["three_in_one"]),
    ],
)
def test_the_look_alike_a_text_is_about(text: str, expected: list) -> None:
    assert keys(text) == expected


@pytest.mark.parametrize(
    "text",
    ["补证要带身份证吗", "补办需要身份证吗", "一级建造师证书丢了", "中级经济师职称证书丢了", "补证对评职称有影响吗",
     "我有一建证和教资，一建丢了怎么补", "审计师职称证丢了怎么补", "实名认证不通过，是因为身份证快过期了吗",
     "补证要不要单位开在职证明，或者打印社保缴费记录", "补证的钱能用银行卡付吗"],
)
def test_this_service_or_a_material_is_no_look_alike(text: str) -> None:
    """Naming an in-scope qualification, or an ID card only as a thing to bring, is not another document."""
    assert keys(text) == []


def test_a_purpose_is_no_new_subject_of_a_follow_up_question() -> None:
    """"急着认定教资" after a lost 普通话 certificate is why it is needed; asked on its own it is the subject."""
    assert keys("纸质的还能补吗 急着认定教资") == ["teacher"]
    assert [d.key for d in subject_documents("纸质的还能补吗 急着认定教资", follow_up=True)] == []
    assert [d.key for d in subject_documents("教资也丢了", follow_up=True)] == ["teacher"]


def test_named_qualification_and_document() -> None:
    assert named_qualification("我的一建证书丢了") == "constructor_1"
    assert named_qualification("一建注册证书丢了") is None
    assert named_document("教资") .key == "teacher" and named_document("一建") is None


def test_mentions_never_overlap() -> None:
    found = mentions("一级建造师注册证书和教师资格证")
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))


@pytest.mark.parametrize(
    "text, expected",
    [("我在江苏考的一建，证书丢了能在山东补吗", "江苏"), ("外省考的中级经济师丢了", "外省"),
     ("我是江苏人，在济南考的一建", None), ("一建证书丢了", None)],
)
def test_other_province(text: str, expected) -> None:
    assert other_province(text) == expected


REVIEWED = """documents:
  reviewed_1:
    name: 游艇操作人员证书
    category: licence
    aliases: [游艇驾驶证, 游艇证]
    authority: "海事管理机构"
    source: "no source found"
    document: "《游艇安全管理规定》"
  teacher:
    name: 别的教师证
    category: other_ministry
    aliases: [别的教师证]
    authority: "不该出现的部门"
    source: "https://example.org/clash"
"""


def test_reviewed_look_alikes_are_merged_after_documents_yml(tmp_path) -> None:
    """documents_reviewed.yml, when present, adds its look-alikes; a key documents.yml has keeps documents.yml's."""
    before = load_documents()["teacher"]
    assert keys("游艇驾驶证丢了怎么补") == ["driving_licence"]  # today read as the 驾驶证 inside it
    path = tmp_path / "documents_reviewed.yml"
    path.write_text(REVIEWED, encoding="utf-8")
    with reviewed_documents_at(path):
        documents = load_documents()
        assert documents["teacher"] == before and "别的教师证" not in {a for d in documents.values() for a in d.aliases}
        yacht = documents["reviewed_1"]
        assert (yacht.name, yacht.authority, yacht.document, yacht.sourced) == (
            "游艇操作人员证书", "海事管理机构", "《游艇安全管理规定》", False)
        assert yacht.aliases == ("游艇操作人员证书", "游艇驾驶证", "游艇证")
        assert keys("游艇驾驶证丢了怎么补") == ["reviewed_1"] and keys("游艇操作人员证书丢了怎么补") == ["reviewed_1"]
        assert keys("驾驶证丢了怎么补") == ["driving_licence"] and keys("一建证书丢了") == []
    assert "reviewed_1" not in load_documents()


def test_without_the_reviewed_file_the_lexicon_is_documents_yml(tmp_path) -> None:
    with reviewed_documents_at(tmp_path / "absent.yml"):
        assert not [key for key in load_documents() if key.startswith("reviewed_")]


@pytest.mark.parametrize(
    "text",
    ["一级建造师证书丢了，还要先办B证吗", "中级焊工证和一建证书都丢了", "二级建造师B证丢了 一级建造师证书也丢了"],
)
def test_a_named_qualification_keeps_the_question_in_scope_next_to_a_new_look_alike(text: str) -> None:
    """A look-alike added to the lexicon does not take over a message that names this service's qualification."""
    assert keys(text) == []
