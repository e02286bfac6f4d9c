"""The page's masking (web/src/lib/masking.js) gives the same answers as reissue/masking.py."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from reissue.masking import mask_id, mask_name, mask_phone, scrub

WEB = Path(__file__).resolve().parents[2] / "web"

SENTENCES = [
    "我的身份证号是370102199003071238",
    "11010519900307002X",
    "11010519900307002x 手机 13912345678",
    "老身份证110105900307002",
    "手机13912345678，身份证11010519900307002X",
    "电话 139 1234 5678 谢谢",
    "139-1234-5678",
    "+8613912345678",
    "008613912345678",
    "86 139 1234 5678",
    "１３９１２３４５６７８",
    "身份证 1101 0519 9003 0700 2X",
    "3701 0219 9003 0712 38 和 139 1234 5678",
    "0531 1380 0138 000",
    "12345678901",
    "银行卡6222021234567890123",
    "1391234567813912345678",
    "申请编号BF2026112700001，参考号482913",
    "BF2026112700001 13912345678",
    "2015年5月取得，共12个",
    "手机号是13912345678。\n身份证370102199003071238",
    "abc13912345678",
    "13912345678x",
    "",
]
VALUES = ["370102199003071238", "11010519900307002X", "110105900307002", "1101 0519 9003 0700 2X", "12345",
          "123", "13912345678", "139-1234-5678", "５６７８９０１", "张三", "欧阳娜娜", "阿依古丽·买买提", "王", " 李四 "]

SCRIPT = """
import { maskId, maskName, maskPhone, scrub } from './src/lib/masking.js';
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const { sentences, values } = JSON.parse(input);
  const out = {
    scrub: sentences.map(scrub),
    maskId: values.map(maskId),
    maskPhone: values.map(maskPhone),
    maskName: values.map(maskName),
  };
  process.stdout.write(JSON.stringify(out));
});
"""


@pytest.fixture(scope="module")
def js_answers() -> Dict[str, List[str]]:
    """The JavaScript module's answers for every sample."""
    node = shutil.which("node")
    assert node, "Node.js is required to build the chat page"
    done = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT],
        cwd=WEB, input=json.dumps({"sentences": SENTENCES, "values": VALUES}),
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_scrub_matches_python(js_answers: Dict[str, List[str]]) -> None:
    """Every sentence is masked exactly as the server masks it."""
    assert js_answers["scrub"] == [scrub(text) for text in SENTENCES]


def test_field_masks_match_python(js_answers: Dict[str, List[str]]) -> None:
    """ID, phone and name masks keep the same visible parts as the server's."""
    assert js_answers["maskId"] == [mask_id(value) for value in VALUES]
    assert js_answers["maskPhone"] == [mask_phone(value) for value in VALUES]
    assert js_answers["maskName"] == [mask_name(value) for value in VALUES]


def test_samples_do_contain_personal_data() -> None:
    """The samples are worth comparing: most of them change when masked."""
    assert sum(scrub(text) != text for text in SENTENCES) >= 15
