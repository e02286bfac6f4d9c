"""Split one chat message into the questions it asks, each with the statements that lead up to it.

"我的证书丢了，要登报吗？多久能办好" → [Question("要登报吗", context="我的证书丢了"), Question("多久能办好")].
Pure text rules, no model: sentence ends, commas and spaces between questions, and joining words
(另外, 还有, 顺便问一下 …) separate questions; a piece without any question word is a statement and becomes
the context of the question after it (or before it, at the end of a message).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Tuple

from reissue.parsing.text import clean

# Words that make a piece of text a question.
QUESTION_WORDS = re.compile(
    r"[?？]|吗|嘛|麼|么|呢|怎|如何|什么|啥|多少|(?<!没)多久|多长|多大|(?<![十好这那前近])几[个天次月年本周号点时]|哪|是否|能否|可否|可以.{0,8}[吧嘛]"
    r"|能不能|可不可以|要不要|需不需要|用不用|有没有|是不是|会不会|行不行|咋|为何|为什么|谁|还是"
    r"|(?<=[\u4e00-\u9fff])(?:没|不|否|没有|吧)$"  # "要钱不", "网上有入口没", "带身份证就行吧"
)
# Sentence ends (kept with the piece before them).
_SENTENCE_END = re.compile(r"(?<=[。？?！!；;…\n])")
# Commas and spaces: places where a second question may start.
_SOFT_BREAK = re.compile(r"[，,、 ]+")
# Words that start another question inside one sentence.
_JOINER_WORDS = (
    r"(?:另外|还有就是|还有|此外|以及|同时|再问一下|再问下|再问|顺便问一?下|顺便问|顺便|还想问一?下|还想问|还想知道|对了)"
)
_JOINERS = re.compile(rf"(?={_JOINER_WORDS})")
_STARTS_WITH_JOINER = re.compile(rf"^{_JOINER_WORDS}")
# Pieces that carry no question and no context.
_FILLER = re.compile(
    r"^(?:你好|您好|在吗|在不在|请问|请问一下|咨询一下|问一下|问下|打扰了|打扰一下|麻烦问一下|麻烦问下|谢谢|多谢|谢谢了|感谢|急|急急急|求助|求解|"
    r"哈喽|hello|hi|嗯|哦|好的|那个|就是|老师好|工作人员你好|亲|小助手|客服)[!！。.~～、,，:：]*$",
    re.IGNORECASE,
)
# Requests that are a question of their own even without a question word ("转人工，我想问补证要不要登报").
_COMMAND = re.compile(
    r"^(?:转人工|人工客服|人工服务|找人工|要人工|帮我补办|帮我申请|查进度|查询进度|(?:我|现在)?(?:想|要)(?:重新)?(?:补|申请)|补一[个本张下])"
)
# A piece that offers the other half of a choice ("去济南吗，还是在烟台就能交") belongs to the question before it.
_ALTERNATIVE = re.compile(r"^(?:还是|或者|或是)(?!想问|问一?下)")
_TRIM = " ，,、。.!！;；:：~～…\"'“”‘’()（）【】[]"
MAX_QUESTIONS = 8
MIN_CHARS = 2


@dataclass(frozen=True)
class Question:
    """One question of a message and the statements that came with it."""

    text: str
    context: str = ""
    joined: bool = False  # begins with a word that starts a new matter (另外, 还有, 顺便问一下 …)

    @property
    def with_context(self) -> str:
        """The question preceded by its context, as one text."""
        return f"{self.context}，{self.text}" if self.context else self.text


def is_question(text: str) -> bool:
    """Whether a piece of text asks something (or requests something: "转人工")."""
    return bool(QUESTION_WORDS.search(text) or _COMMAND.match(text))


def _pieces(text: str) -> List[str]:
    """The message cut at sentence ends, joining words, commas and spaces."""
    pieces: List[str] = []
    for sentence in _SENTENCE_END.split(text):
        for part in _JOINERS.split(sentence):
            pieces.extend(piece for piece in _SOFT_BREAK.split(part) if piece.strip(_TRIM))
    return [piece.strip(_TRIM) for piece in pieces]


def _merge_short(pieces: List[str]) -> List[str]:
    """Glue a piece shorter than MIN_CHARS to the one before it (a stray "吗" or "呢"), and an alternative to its question."""
    merged: List[str] = []
    for piece in pieces:
        if merged and len(piece) < MIN_CHARS:
            merged[-1] += piece
        elif merged and _ALTERNATIVE.match(piece) and is_question(merged[-1]):
            merged[-1] += "，" + piece
        else:
            merged.append(piece)
    return merged


def split_questions(message: str) -> List[Question]:
    """The questions of one message, in the order asked; a message with no question word is one question."""
    text = clean(message)
    pieces = [p for p in _merge_short(_pieces(text)) if p and not _FILLER.match(p)]
    if not pieces:
        return []
    if not any(is_question(piece) for piece in pieces):
        return [Question("，".join(pieces))]
    questions: List[Tuple[str, List[str]]] = []
    context: List[str] = []
    for piece in pieces:
        if is_question(piece):
            questions.append((piece, context))
            context = []
        else:
            context.append(piece)
    if context:  # statements after the last question belong to it
        last_text, last_context = questions[-1]
        questions[-1] = (last_text + "，" + "，".join(context), last_context)
    return [
        Question(text, "，".join(ctx), bool(_STARTS_WITH_JOINER.match(ctx[0] if ctx else text)))
        for text, ctx in questions[:MAX_QUESTIONS]
    ]
