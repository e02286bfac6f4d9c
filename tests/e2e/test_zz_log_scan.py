"""After every other end-to-end test (this file sorts last): no log and no store of the stack holds a full ID or
phone number in plaintext.

The tests sent many ID and phone numbers (forms, fault tests, 5,000 fuzzed messages with valid-looking IDs);
every log file under the stack's log folder (the scale-out processes' logs included) is scanned, and so is every
other file under the stack's var folder: the SQLite databases of the backend and the outbox (with their journals),
the uploaded photos, the WeChat token cache, and the dumps of the PostgreSQL databases the scaled and outage tests
used (written by `keep_dump` before each was dropped).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import List

from reissue.masking import mask_id, mask_phone
from reissue.parsing.id_number import check_digit

ID_LIKE = re.compile(
    r"(?<![0-9A-Za-z])([1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})([0-9Xx])(?![0-9A-Za-z])"
)
PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z])(1[3-9][0-9]{9})(?![0-9A-Za-z])")


def findings_in(text: str) -> List[str]:
    """Full ID numbers (with a valid check digit) and mobile numbers in `text`, masked for the report."""
    normal = unicodedata.normalize("NFKC", text)
    found = [mask_id(m.group(0)) for m in ID_LIKE.finditer(normal) if check_digit(m.group(1)) == m.group(2).upper()]
    found += [mask_phone(m.group(1)) for m in PHONE_LIKE.finditer(normal)]
    return found


def test_the_scanner_finds_what_it_must() -> None:
    """The patterns catch a real-looking ID and phone (also full-width) and ignore hex ids and timestamps."""
    body = "37010219880512003"
    assert findings_in(f"user said {body}{check_digit(body)} ok") == ["370102********0033"]
    assert findings_in("手机１３８００１３８０００") == ["138****8000"]
    assert findings_in("sender e2e-a13800138000b ts=1764234567.123 ms=1764234567123 id 370102********0033") == []


def test_no_log_holds_a_full_id_or_phone_number(stack) -> None:
    """Every file under the stack's log folder, after the whole run."""
    log_dir = Path(stack.stack.log_dir)
    files = [p for p in log_dir.rglob("*") if p.is_file()]
    assert files, f"no logs under {log_dir}"
    assert any(p.name == "rasa.log" for p in files) and any(p.name == "actions.log" for p in files)
    problems = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            hits = findings_in(line)
            if hits:
                problems.append(f"{path.relative_to(log_dir)}:{number}: {', '.join(hits)}")
    assert not problems, f"{len(problems)} log lines hold personal numbers, e.g.:\n" + "\n".join(problems[:20])


def scan_bytes(data: bytes) -> List[str]:
    """Findings in a file of any kind: its bytes read as UTF-8 and, for binary pages, as Latin-1 too."""
    return sorted(set(findings_in(data.decode("utf-8", "replace")) + findings_in(data.decode("latin-1"))))


def test_the_byte_scanner_finds_numbers_inside_binary_pages() -> None:
    """A number between NUL bytes and page headers (how SQLite keeps a text cell) is found; sealed text is not."""
    body = "37010219880512003"
    page = b"\x0d\x00\x00\x00\x01" + f"{body}{check_digit(body)}".encode() + b"\x00\x17" + "手机13800138000".encode()
    assert scan_bytes(page) == ["138****8000", "370102********0033"]
    assert scan_bytes(b"gAAAAABnX2k1RjQ3Mzg0NTY3ODkwMTIzNDU2Nzg5MA==\x00") == []


def test_no_store_holds_a_full_id_or_phone_number(stack) -> None:
    """Every file under the stack's var folder but the logs: SQLite files, uploads, PostgreSQL dumps."""
    var_dir, log_dir = Path(stack.var_dir), Path(stack.stack.log_dir)
    files = [p for p in var_dir.rglob("*") if p.is_file() and log_dir not in p.parents]
    names = {p.name for p in files}
    assert {"backend.sqlite", "outbox.sqlite"} <= names, sorted(names)
    scaled_runs = [p for p in log_dir.iterdir() if p.is_dir() and (p.name.startswith("scaled-") or p.name == "outage")]
    dumps = [p for p in files if p.parent.name == "postgresql" and p.suffix == ".sql"]
    assert len(dumps) >= (1 if scaled_runs else 0), "a scaled test ran but left no dump of its database"
    assert all(p.stat().st_size > 0 for p in dumps)
    problems = [f"{p.relative_to(var_dir)}: {', '.join(hits[:5])}" for p in files for hits in [scan_bytes(p.read_bytes())]
                if hits]
    print(f"storage scan: {len(files)} files ({len(dumps)} PostgreSQL dumps), {len(problems)} with findings")
    assert not problems, f"{len(problems)} stored files hold personal numbers in plaintext:\n" + "\n".join(problems[:20])
