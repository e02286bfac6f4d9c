"""Command line for hotline staff: `python -m lookup "要登报吗"`, or `--status BF… --token …`."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

import lookup as core
from reissue.application import REASON_LABELS
from reissue.settings import get_settings

FALLBACK_NOTE = "提示：连不上 Rasa 服务，改为在本机加载模型；第一次查询要等几秒到几十秒，之后就快了。"
StatusFn = Callable[[str, str], Dict[str, Any]]


def format_answers(question: str, answers: List[core.Answer]) -> str:
    """The answers as staff read them: rank, title, key, confidence, full text, guide section."""
    lines = [f"问题：{question}"]
    if not answers:
        lines.append("没有找到相关的答案，请换个说法再查，或转业务科室。")
    for number, item in enumerate(answers, start=1):
        lines.append("")
        lines.append(f"{number}. {item.title}（{item.key}）  置信度 {item.confidence * 100:.1f}%")
        lines.extend(f"   {line}" for line in item.answer_text.splitlines())
        lines.append(f"   出处：{'；'.join(item.sources) or '—'}")
    return "\n".join(lines)


def format_status(record: Dict[str, Any]) -> str:
    """A masked application record as staff read it out."""
    def value(name: str) -> str:
        """One field or a dash."""
        found = record.get(name)
        return str(found) if found not in (None, "") else "—"

    certificate = " ".join(str(record.get(n)) for n in ("qualification", "level", "specialty") if record.get(n))
    cert_number = "不记得" if record.get("cert_number_unknown") else value("cert_number_masked")
    label = record.get("status_label") or ""
    state = value("status") + (f"（{label}）" if label and label != record.get("status") else "")
    lines = [
        f"申请编号：{value('number')}",
        f"当前状态：{state}",
    ]
    if record.get("review_reason"):
        lines.append(f"审核意见：{record['review_reason']}")
    lines += [
        f"补办原因：{REASON_LABELS.get(str(record.get('reason')), value('reason'))}",
        f"证书：{certificate or '—'}，取得年月 {value('obtained')}，证书管理号 {cert_number}",
        f"申请人：{value('applicant_name_masked')}  身份证：{value('id_number_masked')}  手机：{value('phone_masked')}",
        f"地市：{value('city')}  渠道：{value('channel')}",
        f"提交时间：{value('created_at')}  最近更新：{value('updated_at')}",
        "办理记录：",
    ]
    audit = record.get("audit") or []
    if not audit:
        lines.append("  —")
    for event in audit:
        step = f"{event.get('from_status') or '—'} → {event.get('to_status') or '—'}"
        extra = "；".join(
            part for part in (
                f"操作人 {event['actor']}" if event.get("actor") else "",
                f"说明 {event['reason']}" if event.get("reason") else "",
            ) if part
        )
        lines.append(f"  {event.get('at') or ''}  {step}" + (f"（{extra}）" if extra else ""))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m lookup",
        description="热线坐席查询助手：按问题给出最相关的三条答案，或凭工作人员令牌查询申请进度。",
    )
    parser.add_argument("question", nargs="*", help="来电人的问题，例如 要登报吗；不写则逐行读入问题")
    parser.add_argument("--top", type=int, default=3, help="显示几条答案（默认3）")
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    parser.add_argument("--status", metavar="BF…", help="查询申请进度：申请编号")
    parser.add_argument("--token", help="工作人员令牌（默认读 BACKEND_STAFF_TOKEN）")
    return parser


def _answer_one(
    question: str, top: int, as_json: bool, parse: core.ParseFn, now: Optional[datetime], out: TextIO
) -> None:
    """Look one question up and print the answers."""
    answers = core.lookup(question, top=top, parse=parse, now=now)
    if as_json:
        body = {"question": core.clean_question(question), "answers": [core.answer_dict(a) for a in answers]}
        out.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_answers(core.clean_question(question), answers) + "\n")
    out.flush()


def main(
    argv: Optional[Sequence[str]] = None,
    parse: Optional[core.ParseFn] = None,
    ranker: Optional[core.Ranker] = None,
    status_fn: Optional[StatusFn] = None,
    stdin: Optional[TextIO] = None,
    out: Optional[TextIO] = None,
    err: Optional[TextIO] = None,
    now: Optional[datetime] = None,
) -> int:
    """Run the command (`parse`, `ranker`, `status_fn`, streams and clock injectable).

    Returns 0 on success, 1 on a failed status lookup, 2 when nothing can rank questions.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    top = min(max(args.top, 1), 10)
    if args.status:
        token = args.token if args.token is not None else get_settings().staff_token
        try:
            record = (status_fn or core.status)(args.status, token)
        except core.StatusError as error:
            err.write(f"查询失败：{error.message}\n")
            return 1
        out.write((json.dumps(record, ensure_ascii=False, indent=2) if args.json else format_status(record)) + "\n")
        return 0
    if parse is None:
        def note() -> None:
            """Tell the agent why the first answer is slow."""
            err.write(FALLBACK_NOTE + "\n")
            err.flush()

        ranker = ranker or core.Ranker(remote=core.default_ranker().remote)
        ranker.on_fallback = note
        parse = ranker.parse
    questions: List[str] = [" ".join(args.question)] if args.question else []
    interactive = not questions
    try:
        if not interactive:
            _answer_one(questions[0], top, args.json, parse, now, out)
            return 0
        source = stdin or sys.stdin
        if source.isatty():
            err.write("请输入来电人的问题，回车查询；Ctrl-D 退出。\n")
        for line in source:
            if line.strip():
                _answer_one(line, top, args.json, parse, now, out)
                if source.isatty():
                    out.write("\n")
        return 0
    except core.LookupUnavailable as error:
        err.write(f"现在无法查询：{error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
