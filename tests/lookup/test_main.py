"""The command line: answer format, JSON, interactive mode, the fallback note, status output and errors."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import pytest

import lookup as core
from lookup.__main__ import main
from reissue import knowledge
from tests.lookup.lookup_fakes import ADMIN_RECORD, NUMBER, STAFF_TOKEN, FakeParser

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def run(argv: List[str], **kwargs: Any) -> tuple:
    """Run main() with captured streams; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, now=NOW, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_prints_best_three_with_confidence_text_and_section(fake_parse: FakeParser) -> None:
    """Three numbered answers, each with its confidence, the full text and the guide section."""
    code, out, err = run(["要登报吗"], parse=fake_parse)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "问题：要登报吗"
    headers = [line for line in lines if re.match(r"^\d\. ", line)]
    assert headers == [
        "1. 需要登报挂失吗（newspaper）  置信度 85.5%",
        "2. 补办要交钱吗（fee）  置信度 3.0%",
        "3. 需要准备什么材料（materials）  置信度 1.0%",
    ]
    assert f"   {knowledge.answer('newspaper')}" in lines
    assert "   出处：常见问题·需要登报挂失吗" in lines
    assert "   出处：常见问题·需要缴费吗" in lines
    _, computed, _ = run(["今天申请哪天能办好"], parse=fake_parse)
    assert "2026年11月27日" in computed  # the computed answer, for the injected "now"


def test_multi_word_question_and_top(fake_parse: FakeParser) -> None:
    """Words are joined into one question; --top limits the answers."""
    code, out, _ = run(["--top", "1", "要登报吗"], parse=fake_parse)
    assert code == 0
    assert len([line for line in out.splitlines() if re.match(r"^\d\. ", line)]) == 1
    run(["要", "登报吗"], parse=fake_parse)
    assert fake_parse.calls[-1] == "要 登报吗"


def test_json_output(fake_parse: FakeParser) -> None:
    """--json prints the question and the answers' five fields."""
    code, out, _ = run(["--json", "要登报吗"], parse=fake_parse)
    body = json.loads(out)
    assert code == 0 and body["question"] == "要登报吗"
    assert [a["key"] for a in body["answers"]] == ["newspaper", "fee", "materials"]
    assert body["answers"][0]["answer"] == knowledge.answer("newspaper")


def test_interactive_mode_answers_each_line(fake_parse: FakeParser) -> None:
    """Without a question, every non-blank stdin line is looked up with the same (loaded) model."""
    code, out, _ = run([], parse=fake_parse, stdin=io.StringIO("要登报吗\n\n大厅开门吗\n"))
    assert code == 0
    assert fake_parse.calls == ["要登报吗", "大厅开门吗"]
    assert out.count("问题：") == 2 and "1. 大厅现在开门吗（hall_open）" in out


def test_fallback_note_goes_to_stderr_once() -> None:
    """When the Rasa server is down the agent is told the first call takes a few seconds."""
    local = FakeParser()

    def dead(text: str) -> Dict[str, Any]:
        """A dead server."""
        raise core.RasaUnavailable("down")

    ranker = core.Ranker(remote=dead, load_fallback=lambda: local)
    code, out, err = run([], ranker=ranker, stdin=io.StringIO("要登报吗\n补办要钱吗\n"))
    assert code == 0
    assert err.count(knowledge.message("lookup_cli_fallback_note")) == 1
    assert out.count("1. 需要登报挂失吗") == 2


def test_nothing_can_rank_exits_2() -> None:
    """No server and no model: a clear message and exit code 2."""
    def dead(text: str) -> Dict[str, Any]:
        """A dead server."""
        raise core.RasaUnavailable("down")

    def no_model() -> core.ParseFn:
        """No model file."""
        raise core.LookupUnavailable("没有找到训练好的模型，请先运行 make train。")

    code, out, err = run(["要登报吗"], ranker=core.Ranker(remote=dead, load_fallback=no_model))
    assert code == 2 and out == ""
    assert "现在无法查询" in err and "make train" in err


def test_status_output_is_masked(fake_backend: Any) -> None:
    """--status prints the masked record: status, masked name/ID/phone, the audit trail."""
    code, out, err = run(
        ["--status", NUMBER, "--token", STAFF_TOKEN],
        status_fn=lambda number, token: core.status(number, token, core.backend_client(fake_backend.url)),
    )
    assert code == 0 and err == ""
    assert f"申请编号：{NUMBER}" in out
    assert "当前状态：审核不通过" in out
    assert "补办原因：遗失" in out
    assert "申请人：张**  身份证：370102********1238  手机：138****5678" in out
    assert "已提交 → 审核不通过（操作人 王审核；说明 照片不清晰）" in out
    for secret in ("张三丰", "13912345678", "sender-secret-ref", "0012345678"):
        assert secret not in out


def test_status_token_defaults_to_the_setting(fake_backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --token the BACKEND_STAFF_TOKEN setting is used."""
    monkeypatch.setenv("BACKEND_STAFF_TOKEN", STAFF_TOKEN)
    seen: List[str] = []

    def status_fn(number: str, token: str) -> Dict[str, Any]:
        """Record the token."""
        seen.append(token)
        return core.masked_status(ADMIN_RECORD)

    code, _, _ = run(["--status", NUMBER], status_fn=status_fn)
    assert code == 0 and seen == [STAFF_TOKEN]


def test_status_failure_exits_1(fake_backend: Any) -> None:
    """A wrong token is reported in Chinese with exit code 1 and nothing on stdout."""
    code, out, err = run(
        ["--status", NUMBER, "--token", "wrong"],
        status_fn=lambda number, token: core.status(number, token, core.backend_client(fake_backend.url)),
    )
    assert code == 1 and out == ""
    assert "查询失败：工作人员令牌不正确" in err


def test_module_runs_from_the_repo_root() -> None:
    """`python -m lookup --status <bad number>` runs as a module and refuses without any network call."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "lookup", "--status", "BF1", "--token", "x"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "申请编号格式不正确" in result.stderr
