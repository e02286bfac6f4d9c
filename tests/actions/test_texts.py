"""The actions speak only from the catalogue: no Chinese sentence, label or button literal in actions/."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import List

import pytest

from reissue import knowledge

ROOT = Path(__file__).resolve().parents[2]
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _literals(node: ast.AST) -> List[str]:
    """Every string literal inside an expression (f-string parts included)."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def shown_literals(source: str) -> List[str]:
    """Chinese literals in what reaches the user: utter_message(...) arguments, Field labels, button dicts."""
    found = []
    for node in ast.walk(ast.parse(source)):
        shown: List[ast.AST] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "utter_message":
            shown = list(node.args) + [keyword.value for keyword in node.keywords]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Field" and node.args:
            shown = [node.args[0]]
        elif isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "title" for k in node.keys):
            shown = [node]
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            shown = [node.value]  # a module or class constant holding a sentence
        found += [(node.lineno, text) for part in shown for text in _literals(part) if _HAN.search(text)]
    return [f"{line}: {text}" for line, text in sorted(found)]


@pytest.mark.parametrize("path", sorted((ROOT / "actions").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_actions_keep_no_user_text_in_python(path: Path) -> None:
    """Replies, labels and buttons of the actions come from reissue/knowledge/messages.yml or domain.yml."""
    assert shown_literals(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_what_it_should() -> None:
    """A reply, a label, a button and a sentence constant are found; a key or a regex is not."""
    source = ('dispatcher.utter_message(text="您好")\nField("申请编号", parse)\nB = {"title": "转人工", "payload": "x"}\n'
              'SORRY = "抱歉"\ndispatcher.utter_message(text=knowledge.message("greet"))\nQ = re.compile(r"吗")\n')
    assert shown_literals(source) == ["1: 您好", "2: 申请编号", "3: 转人工", "4: 抱歉"]


@pytest.mark.parametrize("key", ["start_reissue", "check_progress", "completion_date", "hall_open", "handoff",
                                 "none_of_these", "confirm_submit", "cancel_application"])
def test_every_button_the_actions_name_has_a_title_and_a_payload(key: str) -> None:
    """Each button of the catalogue renders to a non-empty title and payload."""
    button = knowledge.button(key)
    assert button["title"] and button["payload"] and set(button) == {"title", "payload"}
