"""Command line for hotline staff: `python -m lookup "要登报吗"`, or `--status BF… --token …`."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

import lookup as core
from reissue import knowledge
from reissue.application import REASON_LABELS
from reissue.settings import get_settings

StatusFn = Callable[[str, str], Dict[str, Any]]


def format_answers(question: str, answers: List[core.Answer]) -> str:
    """The answers as staff read them: rank, title, key, confidence, full text, guide section."""
    lines = [knowledge.message("lookup_cli_question", question=question)]
    if not answers:
        lines.append(knowledge.message("lookup_cli_no_answers"))
    for number, item in enumerate(answers, start=1):
        lines.append("")
        lines.append(f"{number}. {item.title}（{item.key}）  "
                     + knowledge.message("lookup_confidence", percent=item.confidence * 100))
        lines.extend(f"   {line}" for line in item.answer_text.splitlines())
        lines.append("   " + knowledge.message("lookup_source", sources="；".join(item.sources) or "—"))
    return "\n".join(lines)


def format_status(record: Dict[str, Any]) -> str:
    """A masked application record as staff read it out."""
    def value(name: str) -> str:
        """One field or a dash."""
        found = record.get(name)
        return str(found) if found not in (None, "") else "—"

    certificate = " ".join(str(record.get(n)) for n in ("qualification", "level", "specialty") if record.get(n))
    unknown = record.get("cert_number_unknown")
    cert_number = knowledge.message("lookup_cert_number_unknown") if unknown else value("cert_number_masked")
    label = record.get("status_label") or ""
    state = value("status") + (f"（{label}）" if label and label != record.get("status") else "")
    lines = [
        knowledge.message("lookup_cli_number", number=value("number")),
        knowledge.message("lookup_cli_status", status=state),
    ]
    if record.get("review_reason"):
        lines.append(knowledge.message("lookup_cli_review_reason", review_reason=record["review_reason"]))
    lines += [
        knowledge.message("lookup_cli_reason", reason=REASON_LABELS.get(str(record.get("reason")), value("reason"))),
        knowledge.message("lookup_cli_certificate", certificate=certificate or "—", obtained=value("obtained"),
                          cert_number=cert_number),
        knowledge.message("lookup_cli_applicant", name=value("applicant_name_masked"),
                          id_number=value("id_number_masked"), phone=value("phone_masked")),
        knowledge.message("lookup_cli_place", city=value("city"), channel=value("channel")),
        knowledge.message("lookup_cli_times", created_at=value("created_at"), updated_at=value("updated_at")),
        knowledge.message("lookup_cli_audit_heading"),
    ]
    audit = record.get("audit") or []
    if not audit:
        lines.append("  —")
    for event in audit:
        step = f"{event.get('from_status') or '—'} → {event.get('to_status') or '—'}"
        extra = "；".join(
            part for part in (
                knowledge.message("lookup_audit_actor", actor=event["actor"]) if event.get("actor") else "",
                knowledge.message("lookup_audit_note", reason=event["reason"]) if event.get("reason") else "",
            ) if part
        )
        lines.append(f"  {event.get('at') or ''}  {step}" + (f"（{extra}）" if extra else ""))
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m lookup",
        description=knowledge.message("lookup_cli_description"),
    )
    parser.add_argument("question", nargs="*", help=knowledge.message("lookup_cli_help_question"))
    parser.add_argument("--top", type=int, default=3, help=knowledge.message("lookup_cli_help_top"))
    parser.add_argument("--json", action="store_true", help=knowledge.message("lookup_cli_help_json"))
    parser.add_argument("--status", metavar="BF…", help=knowledge.message("lookup_cli_help_status"))
    parser.add_argument("--token", help=knowledge.message("lookup_cli_help_token"))
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
            err.write(knowledge.message("lookup_cli_status_failed", reason=error.message) + "\n")
            return 1
        out.write((json.dumps(record, ensure_ascii=False, indent=2) if args.json else format_status(record)) + "\n")
        return 0
    if parse is None:
        def note() -> None:
            """Tell the agent why the first answer is slow."""
            err.write(knowledge.message("lookup_cli_fallback_note") + "\n")
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
            err.write(knowledge.message("lookup_cli_prompt") + "\n")
        for line in source:
            if line.strip():
                _answer_one(line, top, args.json, parse, now, out)
                if source.isatty():
                    out.write("\n")
        return 0
    except core.LookupUnavailable as error:
        err.write(knowledge.message("lookup_unavailable", reason=error) + "\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
