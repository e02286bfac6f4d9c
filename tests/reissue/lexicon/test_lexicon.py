"""Tests of the domain lexicon: YAML integrity, matchers, jieba entries and EntityRuler patterns."""
from __future__ import annotations

import re

import pytest

from reissue.lexicon import (
    find_city,
    find_level,
    find_qualification,
    find_specialty,
    get_qualification,
    jieba_entries,
    load_lexicon,
    ruler_patterns,
)

SHANDONG = ["济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市", "泰安市", "威海市",
            "日照市", "临沂市", "德州市", "聊城市", "滨州市", "菏泽市"]
# The 人社厅发〔2021〕97号 list as quoted in ../shared/reference/national_rules.md, with the 人社部 seal. Its
# association-sealed ones (拍卖师, 税务师, 银行业) are issued by their associations: documents.yml, not here.
ECERT = ["注册城乡规划师", "注册测绘师", "一级造价工程师", "一级建造师", "勘察设计注册工程师", "注册验船师", "注册安全工程师",
         "一级注册消防工程师", "执业药师", "社会工作者职业水平", "经济专业技术资格", "审计专业技术资格", "统计专业技术资格",
         "出版专业技术人员职业资格", "翻译专业资格"]


def test_load_lexicon_is_cached() -> None:
    """The lexicon is loaded once."""
    assert load_lexicon() is load_lexicon()


def test_every_qualification_is_consistent() -> None:
    """Levels exist in levels.yml or the level aliases; first_year is plausible; specialties when asked."""
    lexicon = load_lexicon()
    assert len(lexicon.qualifications) >= 22
    for qual in lexicon.qualifications.values():
        assert qual.name in qual.aliases
        assert 1985 <= qual.first_year <= 2020, qual.name
        own_levels = {level for _, level in qual.level_aliases}
        for level in list(qual.levels) + list(own_levels) + list(qual.ecert_levels):
            assert level in lexicon.levels, (qual.name, level)
        assert own_levels <= set(qual.levels), qual.name
        if qual.has_specialty:
            assert qual.specialties, qual.name
        assert len(set(qual.aliases)) == len(qual.aliases)


def test_no_alias_points_to_two_qualifications() -> None:
    """An alias names exactly one qualification."""
    owners: dict = {}
    for qual in load_lexicon().qualifications.values():
        for alias in qual.aliases:
            key = alias.lower()
            assert owners.setdefault(key, qual.key) == qual.key, alias


@pytest.mark.parametrize("name", ECERT)
def test_ecert_list_matches_the_national_notice(name: str) -> None:
    """Qualifications of the 97号 list are marked ecert."""
    qual = get_qualification(name)
    assert qual is not None and qual.ecert


@pytest.mark.parametrize("name", ["监理工程师", "计算机技术与软件专业技术资格", "注册设备监理师", "通信专业技术人员职业水平"])
def test_qualifications_outside_the_notice_are_not_ecert(name: str) -> None:
    """Qualifications not in the notice have no electronic certificate flag."""
    qual = get_qualification(name)
    assert qual is not None and not qual.ecert


def test_ecert_depends_on_level_for_economics() -> None:
    """经济 初/中级 have e-certificates; 高级 is awarded by 评审 (a 职称 certificate), so it is no level here."""
    qual = get_qualification("经济专业技术资格")
    assert qual is not None
    assert qual.has_ecert("中级") and qual.has_ecert("初级") and qual.has_ecert()
    assert "高级" not in qual.levels and find_qualification("高级经济师") is None


def test_first_years_are_conservative() -> None:
    """Known first exams: 一建 2004, 经济 1993, 社工 2008, 一消 2015."""
    assert get_qualification("一建").first_year <= 2004
    assert get_qualification("经济师").first_year <= 1993
    assert get_qualification("社工").first_year <= 2008
    assert get_qualification("一消").first_year <= 2015


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的一建证书丢了", "一级建造师"),
        ("一级建造师", "一级建造师"),
        ("壹级建造师", "一级建造师"),
        ("中级经济师证书遗失", "经济专业技术资格"),
        ("初级经济师", "经济专业技术资格"),
        ("注安证书坏了", "注册安全工程师"),
        ("软考的证书", "计算机技术与软件专业技术资格"),
        ("软考高项", "计算机技术与软件专业技术资格"),
        ("信息系统项目管理师", "计算机技术与软件专业技术资格"),
        ("执业药师资格证书", "执业药师"),
        ("執業藥師", "执业药师"),
        ("社工证丢了", "社会工作者职业水平"),
        ("助理社会工作师", "社会工作者职业水平"),
        ("一造", "一级造价工程师"),
        ("造价工程师", "一级造价工程师"),
        ("监理工程师证书", "监理工程师"),
        ("注册设备监理师", "注册设备监理师"),
        ("消防工程师", "一级注册消防工程师"),
        ("一消", "一级注册消防工程师"),
        ("审计师", "审计专业技术资格"),
        ("中级统计师", "统计专业技术资格"),
        ("CATTI二级笔译", "翻译专业资格"),
        ("catti", "翻译专业资格"),
        ("出版专业资格", "出版专业技术人员职业资格"),
        ("注册城市规划师", "注册城乡规划师"),
        ("测绘师", "注册测绘师"),
        ("注册结构工程师", "勘察设计注册工程师"),
        ("注册岩土工程师", "勘察设计注册工程师"),
        ("验船师", "注册验船师"),
        ("房地产估价师", "房地产估价师"),
        ("环评工程师", "环境影响评价工程师"),
        ("ＣＡＴＴＩ", "翻译专业资格"),
        ("中级通信工程师", "通信专业技术人员职业水平"),
        ("注册核安全工程师", "注册核安全工程师"),
        ("一级注册计量师", "一级注册计量师"),
    ],
)
def test_find_qualification(text: str, expected: str) -> None:
    """Real phrasings find the right qualification."""
    qual = find_qualification(text)
    assert qual is not None, text
    assert qual.name == expected


@pytest.mark.parametrize(
    "text",
    ["注册会计师证书丢了", "计算机二级证书", "我想补办职业技能等级证书", "驾驶证丢了", "你好", "", "心理咨询师证书",
     "二建证书怎么补办", "中级会计职称", "主管护师", "注册税务师", "银行从业资格", "一建注册证书丢了", "注安执业证"],
)
def test_find_qualification_ignores_other_documents(text: str) -> None:
    """CPA, NCRE, skill, provincial, other ministries' and registration certificates are no qualification here."""
    assert find_qualification(text) is None


def test_longest_alias_wins() -> None:
    """设备监理师 is not 监理工程师."""
    assert find_qualification("设备监理师").name == "注册设备监理师"


@pytest.mark.parametrize(
    "text, qualification, expected",
    [
        ("中级", None, "中级"),
        ("初级的", None, "初级"),
        ("副高", None, "高级"),
        ("中级经济师", "经济师", "中级"),
        ("我考的一建", "一建", "一级"),
        ("随便说说", "一建", "一级"),
        ("二级", "一建", None),
        ("助理社会工作师", "社工", "初级"),
        ("社会工作师", "社工", "中级"),
        ("助理统计师", "统计师", "初级"),
        ("信息系统项目管理师", "软考", "高级"),
        ("软考高项", "软考", "高级"),
        ("二笔", "catti", "二级"),
        ("三级", "经济师", None),
        ("a级", "验船师", "A级"),
        ("中級", "经济师", "中级"),
    ],
)
def test_find_level(text: str, qualification: str, expected: str) -> None:
    """Levels are found, restricted to the qualification's allowed levels."""
    qual = get_qualification(qualification) if qualification else None
    if qualification:
        assert qual is not None
    assert find_level(text, qual) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("建筑工程", "建筑工程"), ("我是机电的，机电工程", "机电工程"), ("水利", None)],
)
def test_find_specialty(text: str, expected: str) -> None:
    """Specialties of 一建 are found by name."""
    assert find_specialty(text, get_qualification("一建")) == expected


def test_find_specialty_alias() -> None:
    """Specialty aliases map to canonical names."""
    assert find_specialty("注册结构工程师", get_qualification("勘察设计注册工程师")) == "结构"
    assert find_specialty("中药", get_qualification("执业药师")) == "中药学"


@pytest.mark.parametrize("city", SHANDONG)
def test_every_city_by_short_and_full_name(city: str) -> None:
    """All 16 cities, with or without 市."""
    assert find_city(city) == city
    assert find_city(city[:-1]) == city
    assert find_city(f"我是在{city[:-1]}考的") == city


@pytest.mark.parametrize(
    "text, expected",
    [("濟南", "济南市"), ("青島市", "青岛市"), ("莱芜", "济南市"), ("荷泽", "菏泽市"), ("北京", None), ("", None)],
)
def test_find_city_variants(text: str, expected: str) -> None:
    """Traditional forms, the former 莱芜 and a common typo; cities outside Shandong are not found."""
    assert find_city(text) == expected


def test_lexicon_has_sixteen_cities() -> None:
    """Exactly Shandong's 16 cities."""
    assert sorted(load_lexicon().cities) == sorted(SHANDONG)


def test_jieba_entries_format_and_content() -> None:
    """Every line is "word freq tag" and covers aliases, levels, cities and terms."""
    entries = jieba_entries()
    words = set()
    for line in entries:
        parts = line.split(" ")
        assert len(parts) == 3, line
        assert re.fullmatch(r"[\u4e00-\u9fd5a-zA-Z0-9+#&._%-]+", parts[0]), line
        assert parts[1].isdigit() and parts[2]
        words.add(parts[0])
    assert len(words) == len(entries)
    for word in ["一建", "一级建造师", "软考", "中级", "济南", "济南市", "证书补办", "登报挂失", "管理号", "加注", "catti"]:
        assert word in words, word


def test_jieba_dictionary_keeps_domain_words_whole(tmp_path) -> None:
    """Loaded into jieba, the entries keep 一建 and 证书管理号 as single tokens."""
    import jieba

    path = tmp_path / "user.dict"
    path.write_text("\n".join(jieba_entries()) + "\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(path))
    tokens = list(tokenizer.cut("我的一建证书丢了，证书管理号不记得了，在济南"))
    assert "一建" in tokens and "证书管理号" in tokens and "济南" in tokens


def test_ruler_patterns() -> None:
    """Patterns carry the label, alias and canonical id, for all three labels."""
    patterns = ruler_patterns()
    labels = {pattern["label"] for pattern in patterns}
    assert labels == {"qualification", "level", "city"}
    assert {"label": "qualification", "pattern": "一建", "id": "一级建造师"} in patterns
    assert {"label": "qualification", "pattern": "CATTI", "id": "翻译专业资格"} in patterns
    assert {"label": "city", "pattern": "济南", "id": "济南市"} in patterns
    assert {"label": "level", "pattern": "副高", "id": "高级"} in patterns
    pairs = [(pattern["label"], pattern["pattern"]) for pattern in patterns]
    assert len(pairs) == len(set(pairs))
