"""The sentences the user reads live in the message catalogue: the parsers and channels only name its keys."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml

from reissue import knowledge

ROOT = Path(__file__).resolve().parents[3]
CHECKED = ("reissue/parsing", "bot/channels")
PACKAGES = ("reissue", "bot", "actions", "backend", "lookup", "web", "scripts")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# A bracketed marker such as "[图片]" stands in for what the user sent; it is not a sentence.
_MARKER = re.compile(r"^\[[^\]]*\]$")


def _files(*folders: str) -> List[Path]:
    """The Python files under the given folders of the repository."""
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py") if "node_modules" not in path.parts)


def _texts(node: ast.AST) -> Iterator[str]:
    """The string literals inside an expression; an f-string as one text with {} for its fields."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    else:
        for child in ast.iter_child_nodes(node):
            yield from _texts(child)


def _spoken(node: ast.AST) -> List[ast.expr]:
    """The expressions of a node that would be shown to the user: `….failure(...)` arguments, `*_TEXT = …` values."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "failure":
        return list(node.args) + [keyword.value for keyword in node.keywords]
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("_TEXT") for t in node.targets):
        return [node.value]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id.endswith("_TEXT"):
        return [node.value] if node.value is not None else []
    return []


def chinese_literals(source: str) -> List[str]:
    """"line: text" for each Chinese literal passed to `….failure(...)` or assigned to a `*_TEXT` name, in line order."""
    found = sorted(
        (node.lineno, text)
        for node in ast.walk(ast.parse(source))
        for value in _spoken(node)
        for text in _texts(value)
        if _HAN.search(text) and not _MARKER.match(text)
    )
    return [f"{line}: {text}" for line, text in found]


@pytest.mark.parametrize("path", _files(*CHECKED), ids=lambda path: str(path.relative_to(ROOT)))
def test_parsers_and_channels_keep_no_sentence_in_python(path: Path) -> None:
    """Failure messages and *_TEXT replies come from messages.yml, not from literals in the code."""
    assert chinese_literals(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_sentences_and_lets_markers_be() -> None:
    """Plain, f-string and keyword sentences are found; "[图片]" markers and keys are not."""
    source = (
        'Parsed.failure("empty", "请告诉我您的手机号码。")\n'
        'Parsed.failure("length", f"应该是11位，您输入的是{n}位")\n'
        'Parsed.failure(error="x", message="请再核对一下")\n'
        'SORRY_TEXT = "抱歉"\n'
        'IMAGE_TEXT = "[图片]"\n'
        'Parsed.failure("empty", message("parse_phone_empty"))\n'
        'HEADER = "回复数字："\n'
    )
    assert chinese_literals(source) == [
        "1: 请告诉我您的手机号码。", "2: 应该是11位，您输入的是{}位", "3: 请再核对一下", "4: 抱歉",
    ]


def _message_calls(path: Path) -> Iterator[ast.Call]:
    """The calls `message("key", …)` and `knowledge.message("key", …)` of one file that name a literal key."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        named = (isinstance(func, ast.Name) and func.id == "message") or (
            isinstance(func, ast.Attribute) and func.attr == "message"
            and isinstance(func.value, ast.Name) and func.value.id == "knowledge"
        )
        if named and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            yield node


def test_every_key_the_code_names_exists_and_gets_its_fields() -> None:
    """Each literal key is in messages.yml, and the call passes every field its template needs beyond the facts."""
    templates = yaml.safe_load((knowledge.KNOWLEDGE_DIR / "messages.yml").read_text(encoding="utf-8"))["messages"]
    wrong, named = [], set()
    for path in _files(*PACKAGES):
        for call in _message_calls(path):
            key = call.args[0].value
            named.add(key)
            where = f"{path.relative_to(ROOT)}:{call.lineno} {key}"
            if key not in templates:
                wrong.append(f"{where}: no such key")
                continue
            passed = {keyword.arg for keyword in call.keywords}
            missing = set(knowledge.template_fields(str(templates[key]))) - set(knowledge.facts()) - passed
            if missing and None not in passed:
                wrong.append(f"{where}: missing {sorted(missing)}")
    assert {"parse_phone_landline", "parse_date_future", "channel_slow_down", "form_error_level"} <= named
    assert wrong == []
