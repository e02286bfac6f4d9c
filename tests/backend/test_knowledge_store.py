"""The knowledge store: version 0 is what data/responses/faq.yml renders; versions and rollback."""
from __future__ import annotations

from pathlib import Path

import yaml

from backend import knowledge_store
from reissue import knowledge

ROOT = Path(__file__).resolve().parents[2]


def test_the_rendered_responses_are_the_stores_defaults(app):
    """data/responses/faq.yml (the training-time default) says exactly the store's version 0 of every answer."""
    responses = yaml.safe_load((ROOT / "data" / "responses" / "faq.yml").read_text(encoding="utf-8"))["responses"]
    rendered = {name.split("/", 1)[1]: texts[0]["text"] for name, texts in responses.items()}
    store = {e.key: e.current for e in knowledge_store.entries(app.state.factory)}
    assert set(rendered) == set(store) == set(knowledge.faq_entries())
    assert all(store[key].version == 0 and store[key].text == text for key, text in rendered.items())


def test_versions_are_kept_newest_first_and_a_rollback_is_a_new_version(app):
    factory = app.state.factory
    knowledge_store.store(factory, "fee", "补办证书不收费，一分钱都不用交。", "说得更口语，与指南说法不同", "wang")
    second = knowledge_store.store(factory, "fee", "补办证书不收费。", "再简短些", "li")
    assert (second.current.version, second.current.actor, second.is_default) == (2, "li", False)
    back = knowledge_store.rollback(factory, "fee", 0, "恢复原文", "wang")
    assert back.current.version == 3 and back.is_default and back.current.note == "回退到第 0 版：恢复原文"
    assert [v.version for v in knowledge_store.history(factory, "fee")] == [3, 2, 1, 0]
