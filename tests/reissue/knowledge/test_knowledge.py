"""The knowledge base: every template renders, facts match the guide, generated responses are in sync."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.build import render_responses
from reissue import knowledge

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT.parent / "shared" / "seed" / "service_guide.zh-Hans.txt")


@pytest.fixture(scope="module")
def guide_text() -> str:
    """The Simplified service guide, the authority for every fact."""
    return GUIDE.read_text(encoding="utf-8")


def test_every_faq_answer_renders_without_unknown_facts() -> None:
    """Each answer refers only to facts that exist and renders to non-empty Chinese text."""
    for key, entry in knowledge.faq_entries().items():
        unknown = set(knowledge.template_fields(entry.answer_template)) - set(knowledge.facts())
        assert not unknown, f"{key} refers to unknown facts {unknown}"
        assert len(knowledge.answer(key)) > 10
        assert "{" not in knowledge.answer(key)


@pytest.mark.parametrize(
    "name, verbatim",
    [
        ("hall_address", "山东省济南市历下区解放东路16号省人力资源社会保障政务服务大厅一楼A1窗口"),
        ("hall_morning", "上午8:30-11:30"),
        ("hall_afternoon", "下午1:00-5:00"),
        ("practical_time", "两个多月"),
        ("result_name", "中华人民共和国专业技术人员职业资格证书"),
        ("authority", "山东省人力资源和社会保障厅"),
        ("exam_site", "中国人事考试网"),
        ("apply_site", "山东人事考试信息网"),
        ("portal", "山东省统一政务服务门户"),
        ("ecert_scope", "2003年以后大部分专业技术人员职业资格证书"),
        ("receiving_agency", "各市人事考试机构"),
        ("printing_agency", "人社部人事考试中心"),
    ],
)
def test_verbatim_facts_are_the_guides_words(name: str, verbatim: str, guide_text: str) -> None:
    """Facts copied from the guide still match it word for word."""
    assert knowledge.fact(name) == verbatim
    assert verbatim in guide_text


def test_numeric_facts_match_the_guide(guide_text: str) -> None:
    """Time limits, stage days, visits and photo rules are the guide's numbers."""
    assert f"承诺办结时限 | {knowledge.fact('promised_days')} 工作日" in guide_text
    assert "法定办结时限 | 3 月" in guide_text and knowledge.fact("legal_limit") == "3个月"
    assert f"到办事现场次数 | {knowledge.fact('visits')}" in guide_text
    stages = {"申请补办证书": "stage_apply_days", "审核补证数据": "stage_review_days", "发放补办完成的证书": "stage_issue_days"}
    for stage in stages:
        assert f"{stage} |" in guide_text
    assert "| 60 |" in guide_text and knowledge.fact("stage_issue_days") == 60
    assert "| 5 |" in guide_text and knowledge.fact("stage_review_days") == 5
    assert f"像素{knowledge.fact('photo_width_px')}*{knowledge.fact('photo_height_px')}" in guide_text
    assert f"大小约{knowledge.fact('photo_kb')}kb" in guide_text
    assert f"印制{knowledge.fact('photo_needed_before')}年以前" in guide_text


def test_key_answers_state_the_guides_answers() -> None:
    """The most asked answers say what the guide says."""
    assert "不收费" in knowledge.answer("fee")
    assert "不需要登报" in knowledge.answer("newspaper")
    duration = knowledge.answer("duration")
    assert "两个多月" in duration and "65个工作日" in duration and "3个月" in duration
    assert "中国人事考试网" in knowledge.answer("urgent") and "证书查验" in knowledge.answer("urgent")
    photo = knowledge.answer("photo")
    for part in ("JPG", "295×413", "2.5cm×3.5cm", "10KB", "白色", "2017"):
        assert part in photo
    assert "8:30-11:30" in knowledge.answer("hall") and "解放东路16号" in knowledge.answer("hall")
    assert "不再补发纸质证书" in knowledge.answer("ecert_no_reissue")


def test_generated_responses_are_in_sync() -> None:
    """data/responses/faq.yml is exactly what reissue/knowledge renders (run the generator after edits)."""
    assert render_responses.main(["--check"]) == 0


def test_every_faq_topic_has_training_data_and_a_test_story() -> None:
    """Each FAQ key is a trained retrieval intent and has a test story."""
    trained = {
        block["intent"]
        for path in (ROOT / "data" / "nlu").glob("*.yml")
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        if "intent" in block
    }
    stories = (ROOT / "tests" / "stories" / "test_faq.yml").read_text(encoding="utf-8")
    for key in knowledge.faq_entries():
        assert f"faq/{key}" in trained
        assert f"intent: faq/{key}\n" in stories


def test_messages_render_with_their_extras() -> None:
    """Action messages fill facts and the action's own values."""
    text = knowledge.message("next_steps", date="2027年03月01日", note="")
    assert "2027年03月01日" in text and "5个工作日" in text and "不收费" in text
    assert "12333" in knowledge.message("handoff")
    assert knowledge.hot_topics() and set(knowledge.hot_topics()) <= set(knowledge.faq_entries())
