"""What a test applicant types: a synthetic ID number and the whole reissue dialogue (shared by e2e tests)."""
from __future__ import annotations

import re
import secrets
from typing import List, Tuple

from reissue.parsing.id_number import check_digit

APPLICATION = re.compile(r"申请编号(?:是)?\s*(BF\d+)")
REFERENCE = re.compile(r"受理参考号\s*([2-9A-Z]{6})")
PHONE = "13800138000"


def synthetic_id() -> str:
    """A valid, made-up ID number (Jinan, 1970s–1990s), different on every call."""
    body = (f"3701021{secrets.randbelow(30) + 970}{secrets.randbelow(12) + 1:02d}"
            f"{secrets.randbelow(28) + 1:02d}{secrets.randbelow(1000):03d}")
    return body + check_digit(body)


def dialogue(id_number: str) -> List[Tuple[str, str]]:
    """The whole application up to the summary: (message, words expected in the reply)."""
    return [
        ("我的一建证书丢了想补办", "领到手了吗"), ("领过", "电子证书"), ("没有电子证书", "专业"),
        ("建筑工程", "哪年哪月"), ("2018年9月", "姓名"), ("张三", "身份证"), (id_number, "管理号"),
        ("不记得", "哪个市"), ("济南", "手机号"), (PHONE, "请核对"),
    ]


def fill_form(stack, sender: str, id_number: str) -> str:
    """Answer every question of the form through `stack.texts`; return the summary."""
    reply = ""
    for message, expected in dialogue(id_number):
        reply = stack.texts(sender, message)
        assert expected in reply, f"after {message!r} expected {expected!r}, got: {reply}"
    return reply
