"""The reviewed export: valid Rasa NLU for the mapped FAQ keys, never an evaluation question."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from backend import inbox, reviewed_export
from backend.reviewed_export import EVALUATION_DIR, evaluation_texts
from reissue.lexicon import load_lexicon
from reissue.lexicon.documents import NO_SOURCE, load_documents, subject_documents
from tests.backend.backend_helpers import BOT
from tests.reissue.lexicon.lexicon_helpers import reviewed_documents_at


def ask(client, text: str) -> int:
    """Record one unanswered question as the bot does."""
    response = client.post("/api/v1/unanswered", headers=BOT, json={"text": text, "kind": "abstain", "channel": "web"})
    assert response.status_code == 201
    return response.json()["id"]


def test_the_export_is_rasa_nlu_under_the_mapped_retrieval_keys(client, app, tmp_path: Path):
    factory = app.state.factory
    inbox.review(factory, [ask(client, "补证要给钱不"), ask(client, "补证要给钱不？")], "map", "wang", "fee")
    inbox.review(factory, [ask(client, "能不能寄到我家里去")], "map", "wang", "express")
    inbox.review(factory, [ask(client, "周六大厅开门吗")], "dismiss", "wang")
    out = tmp_path / "reviewed.yml"
    result = reviewed_export.export(factory, out)
    data = RasaYAMLReader().reads(out.read_text(encoding="utf-8"))
    pairs = sorted((m.get("intent_response_key") or m.get("intent"), m.get("text")) for m in data.intent_examples)
    assert pairs == [("faq/express", "能不能寄到我家里去"), ("faq/fee", "补证要给钱不")]
    assert result.near_evaluation == 0


def test_no_evaluation_question_can_be_exported(client, app, tmp_path: Path):
    evaluation = evaluation_texts(EVALUATION_DIR)
    assert len(evaluation) > 900
    factory = app.state.factory
    for text in evaluation[:3] + evaluation[-3:]:
        inbox.review(factory, [ask(client, text[:1000])], "map", "wang", "fee")
    out = tmp_path / "reviewed.yml"
    result = reviewed_export.export(factory, out)
    assert RasaYAMLReader().reads(out.read_text(encoding="utf-8")).intent_examples == []
    assert result.near_evaluation + result.already_taught == len(set(evaluation[:3] + evaluation[-3:]))
    assert not any(text in out.read_text(encoding="utf-8") for text in evaluation[:3] + evaluation[-3:])


def test_a_missing_evaluation_folder_stops_the_command(app, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", str(app.state.settings.database_url))
    documents = ["--documents", str(tmp_path / "d.yml")]
    code = reviewed_export.main(["--out", str(tmp_path / "r.yml"), "--evaluation", str(tmp_path / "none"), *documents])
    assert code == 1 and not (tmp_path / "r.yml").exists()
    assert reviewed_export.main(["--out", str(tmp_path / "r.yml"), *documents]) == 0
    out = capsys.readouterr().out
    assert "0 examples" in out and "0 look-alikes (no file)" in out and not (tmp_path / "d.yml").exists()


@pytest.mark.parametrize("text", ["- 开头有横线", "要[多少](钱)"])
def test_awkward_texts_stay_one_plain_example(client, app, tmp_path: Path, text: str):
    inbox.review(app.state.factory, [ask(client, text)], "map", "wang", "fee")
    out = tmp_path / "reviewed.yml"
    reviewed_export.export(app.state.factory, out)
    examples = RasaYAMLReader().reads(out.read_text(encoding="utf-8")).intent_examples
    assert len(examples) == 1 and examples[0].get("entities") in (None, [])


# --- look-alikes marked out of scope → documents_reviewed.yml ---------------------------------------------------

def out_of_scope(client, app, text: str, name: str, aliases=(), source: str = "《游艇安全管理规定》",
                 authority: str = "海事管理机构", category: str = "licence") -> None:
    """One question marked out of scope as the look-alike `name`."""
    inbox.review(app.state.factory, [ask(client, text)], "out_of_scope", "wang", authority=authority,
                 look_alike=inbox.LookAlike(name=name, aliases=tuple(aliases), category=category, source=source))


def test_look_alikes_are_written_and_merged_by_the_lexicon(client, app, tmp_path: Path):
    out_of_scope(client, app, "游艇驾驶证丢了怎么补", "游艇操作人员证书", ["游艇驾驶证", "游艇证"])
    out_of_scope(client, app, "职业渔民证丢了", "职业渔民证", source="https://example.org/fisher",
                 authority="县级渔业主管部门", category="other_ministry")
    out = tmp_path / "documents_reviewed.yml"
    result = reviewed_export.export_documents(app.state.factory, out)
    assert result.left_out == [] and list(result.entries) == ["reviewed_1", "reviewed_2"]
    written = yaml.safe_load(out.read_text(encoding="utf-8"))["documents"]
    assert written["reviewed_1"] == {"name": "游艇操作人员证书", "category": "licence",
                                     "aliases": ["游艇操作人员证书", "游艇驾驶证", "游艇证"],
                                     "authority": "海事管理机构", "source": NO_SOURCE, "document": "《游艇安全管理规定》"}
    assert written["reviewed_2"]["source"] == "https://example.org/fisher" and "document" not in written["reviewed_2"]
    assert out.read_text(encoding="utf-8").startswith("# ")
    with reviewed_documents_at(out):
        assert [d.key for d in subject_documents("游艇操作人员证书丢了怎么补")] == ["reviewed_1"]
        assert [d.key for d in subject_documents("职业渔民证丢了怎么补")] == ["reviewed_2"]
        assert load_documents()["reviewed_2"].authority == "县级渔业主管部门"
        # a second export with the first one's file in place writes the same file
        first = out.read_text(encoding="utf-8")
        assert reviewed_export.export_documents(app.state.factory, out).left_out == []
        assert out.read_text(encoding="utf-8") == first


def test_aliases_the_lexicon_has_are_left_out_and_reported(client, app, tmp_path: Path, monkeypatch, capsys):
    out_of_scope(client, app, "游艇驾驶证丢了怎么补", "游艇操作人员证书",
                 ["游艇驾驶证", "教资", "一建证书丢了", "二级建造师", "一级建造师证"])
    out_of_scope(client, app, "教师资格证丢了", "教师资格证书", ["某某新证"])  # the name is a look-alike's
    out_of_scope(client, app, "游艇证丢了", "游艇执照", ["游艇驾驶证"])  # an earlier decision's alias
    out = tmp_path / "documents_reviewed.yml"
    result = reviewed_export.export_documents(app.state.factory, out)
    owners = {(left.key, left.alias): left.owner for left in result.left_out}
    assert owners == {
        ("reviewed_1", "教资"): "document:teacher",
        ("reviewed_1", "一建证书丢了"): "qualification:constructor_1",
        ("reviewed_1", "二级建造师"): "document:constructor_2",
        ("reviewed_1", "一级建造师证"): "qualification:constructor_1",
        ("reviewed_2", "教师资格证书"): "document:teacher",
        ("reviewed_3", "游艇驾驶证"): "reviewed_1",
    }
    assert list(result.entries) == ["reviewed_1", "reviewed_3"]  # without its name an entry goes
    assert result.entries["reviewed_1"]["aliases"] == ["游艇操作人员证书", "游艇驾驶证"]
    with reviewed_documents_at(out):
        documents = load_documents()
        assert "reviewed_2" not in documents
        qualification_aliases = {a.lower() for q in load_lexicon().qualifications.values() for a in q.aliases}
        for doc in documents.values():  # the lexicon's own rule holds for the merged lexicon
            assert not {alias.lower() for alias in doc.aliases} & qualification_aliases, doc.key
        assert [d.key for d in subject_documents("一建证书丢了")] == []
        assert [d.key for d in subject_documents("教资丢了")] == ["teacher"]
    monkeypatch.setenv("DATABASE_URL", str(app.state.settings.database_url))
    assert reviewed_export.main(["--out", str(tmp_path / "r.yml"), "--documents", str(out)]) == 0
    report = capsys.readouterr().out
    assert "2 look-alikes; left out 6 aliases" in report
    assert "left out: reviewed_1 '一建证书丢了' (qualification:constructor_1)" in report


def test_with_no_look_alike_left_an_old_file_goes(client, app, tmp_path: Path):
    out = tmp_path / "documents_reviewed.yml"
    out.write_text("documents: {}\n", encoding="utf-8")
    out_of_scope(client, app, "教师资格证丢了", "教师资格证书")
    result = reviewed_export.export_documents(app.state.factory, out)
    assert result.entries == {} and not out.exists()
