"""The sentences the user reads live in the message catalogue: the parsers, channels and hotline lookup only name its keys."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, List, Set

import pytest
import yaml

from reissue import knowledge

ROOT = Path(__file__).resolve().parents[3]
CHECKED = ("reissue/parsing", "bot/channels")
# Folders where no Chinese literal stands at all, docstrings apart: every word shown comes from the catalogue.
FREE_OF_TEXT = ("lookup",)
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


def _docstrings(tree: ast.AST) -> Set[int]:
    """The ids of the docstring nodes of a module and of its classes and functions."""
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, owners) and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)
    }


def _strings(node: ast.AST) -> Iterator[ast.expr]:
    """The string literals and f-strings of a tree, outermost first (an f-string's parts are not repeated)."""
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _strings(child)


def chinese_outside_docstrings(source: str) -> List[str]:
    """"line: text" for each Chinese string literal or f-string that is not a docstring, in line order."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = sorted(
        (node.lineno, text)
        for node in _strings(tree) if id(node) not in docstrings
        for text in _texts(node) if _HAN.search(text)
    )
    return [f"{line}: {text}" for line, text in found]


@pytest.mark.parametrize("path", _files(*FREE_OF_TEXT), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_hotline_lookup_keeps_no_text_in_python(path: Path) -> None:
    """Error messages, page labels and headings, and command-line output of the lookup come from messages.yml."""
    assert chinese_outside_docstrings(path.read_text(encoding="utf-8")) == []


def test_the_strict_check_finds_every_text_but_docstrings() -> None:
    """Errors, prints, HTML text and argparse help are found, f-strings once; docstrings and keys are not."""
    source = (
        '"""查询服务。"""\n'
        'def f() -> None:\n'
        '    """坐席查询。"""\n'
        '    raise StatusError(404, f"没有找到申请 {number}，请核对编号。")\n'
        'print("问题：" + question)\n'
        'HEAD = "<h1>热线坐席查询</h1>"\n'
        'parser.add_argument("--top", help="显示几条答案")\n'
        'TITLE = knowledge.message("lookup_page_title")\n'
    )
    assert chinese_outside_docstrings(source) == [
        "4: 没有找到申请 {}，请核对编号。", "5: 问题：", "6: <h1>热线坐席查询</h1>", "7: 显示几条答案",
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
    assert {"lookup_status_not_found", "lookup_field_number", "lookup_cli_applicant"} <= named
    assert wrong == []


def test_every_lookup_key_of_the_catalogue_is_named_by_the_lookup() -> None:
    """No `lookup_*` message is left in messages.yml that the lookup's code no longer says."""
    templates = yaml.safe_load((knowledge.KNOWLEDGE_DIR / "messages.yml").read_text(encoding="utf-8"))["messages"]
    named = {call.args[0].value for path in _files("lookup") for call in _message_calls(path)}
    assert {key for key in templates if key.startswith("lookup_")} == {key for key in named if key.startswith("lookup_")}
