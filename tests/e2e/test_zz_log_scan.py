"""After every other end-to-end test (this file sorts last): no log of the stack holds a full ID or phone number.

The tests sent many ID and phone numbers (forms, fault tests, 5,000 fuzzed messages with valid-looking IDs);
every log file under the stack's log folder (the scale-out processes' logs included) is scanned.
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
