"""The lookup core: ranking from a parse result, computed answers, the Rasa client and its fallback, status."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lookup as core
from reissue import knowledge
from reissue.answering.render import completion_text
from tests.lookup.lookup_fakes import (
    ADMIN_RECORD,
    NEWSPAPER_PARSE,
    NUMBER,
    STAFF_TOKEN,
    FakeParser,
    free_port_url,
    parse_result,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_MORNING = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
SUNDAY_MORNING = datetime(2026, 11, 29, 10, 0, tzinfo=SHANGHAI)


# ---------------------------------------------------------------- answers from the plan


def test_the_planned_answer_comes_first_then_the_next_topics(fake_parse: FakeParser) -> None:
    """"要登报吗" → newspaper first, with its title, full rendered text and guide section, then two alternatives."""
    answers = core.lookup("要登报吗", parse=fake_parse, now=FRIDAY_MORNING)
    assert [a.key for a in answers] == ["newspaper", "fee", "materials"]
    best = answers[0]
    assert best.title == knowledge.faq_entries()["newspaper"].title == "需要登报挂失吗"
    assert best.answer_text == knowledge.answer("newspaper") and "{" not in best.answer_text
    assert best.sources == knowledge.faq_entries()["newspaper"].sources
    assert best.confidence == pytest.approx(0.855) and answers[1].confidence == pytest.approx(0.03)
    assert fake_parse.calls == ["要登报吗"]


def test_every_question_of_a_message_is_answered_in_order() -> None:
    """Two questions → both answers, in the order asked, no alternatives added."""
    parse = parse_result(("fee", 0.9, [("fee", 0.9), ("photo", 0.05)]), ("duration", 0.8, [("duration", 0.8)]))
    assert [a.key for a in core.rank(parse, top=3, now=FRIDAY_MORNING)] == ["fee", "duration"]


def test_what_the_guide_does_not_say_is_said_so_with_the_human_route() -> None:
    """not_in_guide → 指南未写明, the human route, and the nearby topics after it."""
    parse = parse_result(("not_in_guide", 0.3, [("collect_reissued", 0.3), ("express", 0.2)]))
    answers = core.rank(parse, top=3, now=FRIDAY_MORNING)
    assert answers[0].title == "指南未写明" and knowledge.message("human_route") in answers[0].answer_text
    assert answers[0].sources == (knowledge.message("lookup_not_in_guide_source"),)
    assert [a.key for a in answers[1:]] == ["collect_reissued", "express"]


def test_another_document_names_where_to_go_and_its_source() -> None:
    parse = parse_result(("out_of_scope:teacher", 1.0, []), intent="out_of_scope")
    [answer] = core.rank(parse, now=FRIDAY_MORNING)
    assert answer.title == "不属本事项：教师资格证" and answer.sources[0].startswith("http")


def test_completion_date_is_computed_from_the_working_day_calendar(fake_parse: FakeParser) -> None:
    best = core.lookup("今天申请哪天能办好", parse=fake_parse, now=FRIDAY_MORNING)[0]
    assert best.key == "completion_date" and best.title == "今天申请哪天能办好"
    assert best.confidence == pytest.approx(0.85)
    assert best.answer_text == completion_text(date(2026, 11, 27))
    assert "2026年11月27日" in best.answer_text and "65个工作日" in best.answer_text
    assert best.sources[0] == knowledge.facts()["promised_days"].source


def test_hall_open_is_computed_for_now(fake_parse: FakeParser) -> None:
    open_answer = core.lookup("大厅开门吗", parse=fake_parse, now=FRIDAY_MORNING)
    assert [a.key for a in open_answer] == ["hall_open", "hall", "visits"]
    assert "正在办公" in open_answer[0].answer_text and knowledge.fact("hall_address") in open_answer[0].answer_text
    assert "办理信息·办理地点" in open_answer[0].sources
    closed = core.lookup("大厅开门吗", parse=fake_parse, now=SUNDAY_MORNING)[0]
    assert "不办公" in closed.answer_text and "周末" in closed.answer_text


def test_unknown_labels_and_duplicates_are_dropped() -> None:
    """A label the knowledge base does not have (an old model) never shows; a repeated one shows once."""
    parse = parse_result(("no_such_topic", 0.9, [("fee", 0.05), ("fee", 0.04), ("photo", 0.01)]))
    assert [a.key for a in core.rank(parse, top=3, now=FRIDAY_MORNING)] == ["fee", "photo"]
    assert core.rank({}, now=FRIDAY_MORNING) == []


def test_blank_question_asks_nothing() -> None:
    """An empty question returns no answers without calling the model."""
    parser = FakeParser()
    assert core.lookup("   ", parse=parser) == []
    assert parser.calls == []


def test_question_is_tidied_and_cut() -> None:
    """Whitespace is collapsed and a long question is cut before it goes to the model."""
    parser = FakeParser()
    core.lookup("  要 \n 登报吗 " + "啊" * 500, parse=parser)
    assert parser.calls[0].startswith("要 登报吗 ")
    assert len(parser.calls[0]) == core.MAX_QUESTION_CHARS


LABELS = sorted(knowledge.faq_entries()) + ["not_in_guide", "unclear", "completion_date", "hall_open", "handoff",
                                            "start_reissue", "check_progress", "other_province", "out_of_scope",
                                            "out_of_scope:teacher", "greet"]


@settings(max_examples=60, deadline=None)
@given(
    questions=st.lists(st.tuples(st.sampled_from(LABELS), st.floats(-1, 2),
                                 st.lists(st.tuples(st.sampled_from(LABELS), st.floats(-1, 2)), max_size=4)),
                       max_size=4),
    top=st.integers(0, 6),
)
def test_rank_is_bounded_and_unique(questions: List[tuple], top: int) -> None:
    """Whatever the model says: at most `top` answers, confidences in [0, 1], no repeats, every text filled."""
    answers = core.rank(parse_result(*questions), top=top, now=FRIDAY_MORNING)
    assert len(answers) <= top
    keys = [a.key for a in answers]
    assert len(keys) == len(set(keys))
    assert all(0.0 <= a.confidence <= 1.0 and a.answer_text and "{" not in a.answer_text for a in answers)


def test_answer_dict_is_json_ready(fake_parse: FakeParser) -> None:
    """The JSON form has the five fields and serialises."""
    item = core.answer_dict(core.lookup("要登报吗", parse=fake_parse)[0])
    assert set(item) == {"key", "title", "confidence", "answer", "sources"}
    assert json.loads(json.dumps(item, ensure_ascii=False))["sources"] == ["常见问题·需要登报挂失吗"]


# ---------------------------------------------------------------- the Rasa client


class _Rasa:
    """What the fake Rasa server saw and should answer."""

    def __init__(self) -> None:
        """Answer 200 with the newspaper result by default."""
        self.status = 200
        self.body: Any = NEWSPAPER_PARSE
        self.seen: List[Dict[str, Any]] = []
        self.url = ""


@pytest.fixture
def fake_rasa() -> Iterator[_Rasa]:
    """A fake Rasa HTTP API with POST /model/parse on loopback."""
    state = _Rasa()

    class Handler(BaseHTTPRequestHandler):
        """POST /model/parse."""

        def log_message(self, *args: Any) -> None:
            """Quiet."""

        def do_POST(self) -> None:
            """Record and answer."""
            length = int(self.headers.get("Content-Length") or 0)
            state.seen.append({"path": self.path, "body": json.loads(self.rfile.read(length) or b"{}")})
            data = json.dumps(state.body, ensure_ascii=False).encode("utf-8")
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_remote_parse_posts_text_with_token(fake_rasa: _Rasa) -> None:
    """The question goes to /model/parse?token=… as {"text": …}."""
    result = core.remote_parse("要登报吗", base_url=fake_rasa.url, token="tok en")
    assert result["intent"]["name"] == "faq"
    assert fake_rasa.seen == [{"path": "/model/parse?token=tok+en", "body": {"text": "要登报吗"}}]


def test_remote_parse_uses_settings_by_default(fake_rasa: _Rasa, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without arguments the URL comes from REISSUE_HOST/RASA_PORT and the token from RASA_AUTH_TOKEN."""
    port = fake_rasa.url.rsplit(":", 1)[1]
    monkeypatch.setenv("REISSUE_HOST", "0.0.0.0")
    monkeypatch.setenv("RASA_PORT", port)
    monkeypatch.setenv("RASA_AUTH_TOKEN", "from-env")
    assert core.rasa_url() == f"http://127.0.0.1:{port}"
    core.remote_parse("你好")
    assert fake_rasa.seen[0]["path"] == "/model/parse?token=from-env"


@pytest.mark.parametrize("status, body", [(500, {"error": "x"}), (401, {"message": "no"}), (200, ["not", "a", "dict"])])
def test_remote_parse_failures_raise_unavailable(fake_rasa: _Rasa, status: int, body: Any) -> None:
    """Errors, a wrong token and odd bodies all count as "server not usable"."""
    fake_rasa.status, fake_rasa.body = status, body
    with pytest.raises(core.RasaUnavailable):
        core.remote_parse("要登报吗", base_url=fake_rasa.url, token="t")


def test_remote_parse_unreachable_is_quick() -> None:
    """Nothing listening → RasaUnavailable at once."""
    started = time.monotonic()
    with pytest.raises(core.RasaUnavailable):
        core.remote_parse("要登报吗", base_url=free_port_url(), token="t")
    assert time.monotonic() - started < 2.5


def test_every_http_call_has_connect_and_read_timeouts() -> None:
    """Both the parse and the status call pass (2 s connect, 10 s read)."""
    calls: List[Dict[str, Any]] = []

    class Session:
        """Records the keyword arguments of each call."""

        def post(self, url: str, **kwargs: Any) -> Any:
            """Record and fail like a dead server."""
            calls.append(kwargs)
            raise core.requests.ConnectionError("down")

        get = post

    with pytest.raises(core.RasaUnavailable):
        core.remote_parse("x", base_url="http://rasa.invalid", token="t", session=Session())  # type: ignore[arg-type]
    assert [call["timeout"] for call in calls] == [(2.0, 10.0)]
    client = core.backend_client("http://backend.invalid")
    assert client.timeouts == (2.0, 10.0) and client.policy.max_total_s <= 12.0


# ---------------------------------------------------------------- the fallback


class _Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """The time."""
        return self.now


def test_unreachable_server_falls_back_to_one_in_process_model() -> None:
    """The server is down: the fallback is loaded once, announced once, and answers every question."""
    remote_calls: List[str] = []
    loads: List[int] = []
    notes: List[int] = []
    local = FakeParser()
    clock = _Clock()

    def remote(text: str) -> Dict[str, Any]:
        """A dead server."""
        remote_calls.append(text)
        raise core.RasaUnavailable("down")

    def load() -> core.ParseFn:
        """Count loads."""
        loads.append(1)
        return local

    ranker = core.Ranker(remote=remote, load_fallback=load, on_fallback=lambda: notes.append(1), clock=clock)
    first = core.lookup("要登报吗", parse=ranker.parse)
    second = core.lookup("补办要交钱吗", parse=ranker.parse)
    assert first[0].key == "newspaper" and second[0].key == "newspaper"
    assert ranker.last_source == "in-process"
    assert loads == [1] and notes == [1]
    assert local.calls == ["要登报吗", "补办要交钱吗"]
    assert remote_calls == ["要登报吗"]  # not retried within the back-off window
    clock.now += core.REMOTE_RETRY_AFTER_S + 1
    core.lookup("第三个问题", parse=ranker.parse)
    assert remote_calls == ["要登报吗", "第三个问题"]
    assert loads == [1]


def test_running_server_is_used_without_loading_the_model() -> None:
    """With the server up the model is never loaded in-process."""
    ranker = core.Ranker(remote=FakeParser(), load_fallback=lambda: pytest.fail("loaded the model"))
    assert core.lookup("要登报吗", parse=ranker.parse)[0].key == "newspaper"
    assert ranker.last_source == "rasa-server"


def test_fallback_against_a_dead_real_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default remote against a port where nothing listens ends in the injected fallback."""
    monkeypatch.setenv("RASA_PORT", free_port_url().rsplit(":", 1)[1])
    local = FakeParser()
    ranker = core.Ranker(remote=core.remote_parse, load_fallback=lambda: local)
    assert core.lookup("要登报吗", parse=ranker.parse)[0].key == "newspaper"
    assert local.calls == ["要登报吗"]


def test_no_server_and_no_model_is_a_clear_error(tmp_path: Any) -> None:
    """A missing model file → LookupUnavailable naming make train; a crashing load is wrapped too."""
    with pytest.raises(core.LookupUnavailable, match="make train"):
        core.load_in_process(tmp_path / "missing.tar.gz")

    def dead(text: str) -> Dict[str, Any]:
        """A dead server."""
        raise core.RasaUnavailable("down")

    def broken() -> core.ParseFn:
        """A load that crashes."""
        raise RuntimeError("tensorflow says no")

    with pytest.raises(core.LookupUnavailable, match="RuntimeError"):
        core.Ranker(remote=dead, load_fallback=broken).parse("要登报吗")


# ---------------------------------------------------------------- status


def test_status_forwards_the_token_and_masks(fake_backend: Any) -> None:
    """The staff view comes back with the name and certificate number masked and references dropped."""
    record = core.status(NUMBER, STAFF_TOKEN, core.backend_client(fake_backend.url))
    assert fake_backend.requests == [
        {"path": f"/api/v1/applications/{NUMBER}/admin", "authorization": f"Bearer {STAFF_TOKEN}"}
    ]
    assert record["number"] == NUMBER and record["status"] == "审核不通过"
    assert record["applicant_name_masked"] == "张**"
    assert record["id_number_masked"] == ADMIN_RECORD["id_number_masked"]
    assert record["phone_masked"] == "138****5678"
    assert record["cert_number_masked"] == "******5678"
    assert "13912345678" not in record["review_reason"] and "139****5678" in record["review_reason"]
    flat = json.dumps(record, ensure_ascii=False)
    for secret in ("张三丰", "sender-secret-ref", "PH0123456789", "0012345678", '"id_last4"'):
        assert secret not in flat
    assert [e["to_status"] for e in record["audit"]] == ["已提交", "审核不通过"]


def test_status_lowercase_number_is_accepted(fake_backend: Any) -> None:
    """"bf…" is the same number."""
    assert core.status(NUMBER.lower(), STAFF_TOKEN, core.backend_client(fake_backend.url))["number"] == NUMBER


@pytest.mark.parametrize(
    "number, token, code",
    [
        (NUMBER, "wrong-token", 401),
        ("BF2026112700002", STAFF_TOKEN, 404),
        ("BF9999999999999", STAFF_TOKEN, 502),
    ],
)
def test_status_errors_from_the_backend(fake_backend: Any, number: str, token: str, code: int) -> None:
    """Wrong token, unknown number and a backend failure become StatusError with a Chinese message."""
    with pytest.raises(core.StatusError) as raised:
        core.status(number, token, core.backend_client(fake_backend.url))
    assert raised.value.status_code == code
    assert raised.value.message


def test_status_refuses_bad_input_without_calling(fake_backend: Any) -> None:
    """A malformed number (422) or a missing token (401) never reaches the backend."""
    for number, token, code in [("BF123", STAFF_TOKEN, 422), ("../../healthz", STAFF_TOKEN, 422), (NUMBER, "", 401)]:
        with pytest.raises(core.StatusError) as raised:
            core.status(number, token, core.backend_client(fake_backend.url))
        assert raised.value.status_code == code
    assert fake_backend.requests == []


def test_status_backend_down_is_503() -> None:
    """Nothing listening → 503 with a message to try later."""
    with pytest.raises(core.StatusError) as raised:
        core.status(NUMBER, STAFF_TOKEN, core.backend_client(free_port_url()))
    assert raised.value.status_code == 503
