"""The hotline lookup against the real stack: the trained model ranks answers, the backend gives masked status."""
from __future__ import annotations

import threading
import uuid
from typing import Any, Dict, Iterator
from urllib.parse import quote

import pytest
import requests

import lookup as core
from lookup.server import create_server
from reissue import knowledge
from tests.backend.backend_helpers import synthetic_id

SYNTHETIC_ID = synthetic_id("37010219900101123")  # synthetic, with a valid check digit
T = (2, 30)


def real_parse(stack: Any) -> core.ParseFn:
    """Parse through the stack's Rasa server."""
    return lambda text: core.remote_parse(text, base_url=stack.rasa_url, token=stack.rasa_token)


def test_newspaper_question_ranks_newspaper_first(stack: Any) -> None:
    """"要登报吗" → the newspaper answer first, with its full text and guide section, then alternatives."""
    answers = core.lookup("要登报吗", parse=real_parse(stack))
    assert 1 <= len(answers) <= 3
    best = answers[0]
    assert best.key == "newspaper"
    assert best.answer_text == knowledge.answer("newspaper")
    assert best.sources == knowledge.faq_entries()["newspaper"].sources
    assert best.confidence > 0.4
    assert [a.confidence for a in answers] == sorted((a.confidence for a in answers), reverse=True)


def test_every_question_and_what_the_guide_does_not_say(stack: Any) -> None:
    """Two questions → both answers in order; a question the guide does not answer → 指南未写明 first."""
    both = core.lookup("补证要交钱吗？多久能办好？", parse=real_parse(stack))
    assert [a.key for a in both][:2] == ["fee", "duration"]
    unknown = core.lookup("补发的证书能不能出一本英文版的", parse=real_parse(stack))
    assert unknown[0].title == knowledge.message("lookup_not_in_guide_title") and knowledge.fact("hotline") in unknown[0].answer_text


def test_computed_answers_through_the_real_model(stack: Any) -> None:
    """The completion-date and hall questions come back as computed answers."""
    completion = core.lookup("今天提交的话几号能办完", parse=real_parse(stack))
    assert completion[0].key == "completion_date"
    assert "个工作日" in completion[0].answer_text
    hall = core.lookup("大厅现在开门吗", parse=real_parse(stack))
    assert hall[0].key == "hall_open"
    assert str(knowledge.fact("hall_address")) in hall[0].answer_text


@pytest.fixture
def application(stack: Any) -> Dict[str, Any]:
    """One application created through the backend's bot API."""
    body = {
        "reason": "lost", "qualification": "一级建造师", "level": "一级", "specialty": "建筑工程",
        "obtained": "2015-06", "applicant_name": "李四光", "id_number": SYNTHETIC_ID, "cert_number": "不记得",
        "city": "济南市", "phone": "13800138000", "channel": "hotline", "sender_ref": "e2e-lookup",
    }
    response = requests.post(
        f"{stack.backend_url}/api/v1/applications", json=body, timeout=T,
        headers={"Authorization": f"Bearer {stack.bot_token}", "Idempotency-Key": f"e2e-lookup-{uuid.uuid4().hex}"},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_status_through_the_real_backend_is_masked(stack: Any, application: Dict[str, Any]) -> None:
    """The staff token gives the status with name, ID and phone masked; a wrong token is refused."""
    record = core.status(application["number"], stack.staff_token, core.backend_client(stack.backend_url))
    assert record["number"] == application["number"] and record["status"] == application["status"]
    assert record["applicant_name_masked"] == "李**"
    assert record["id_number_masked"].endswith(SYNTHETIC_ID[-4:]) and SYNTHETIC_ID not in str(record)
    assert "13800138000" not in str(record) and "李四光" not in str(record)
    with pytest.raises(core.StatusError) as raised:
        core.status(application["number"], "not-the-staff-token", core.backend_client(stack.backend_url))
    assert raised.value.status_code == 401


@pytest.fixture
def lookup_url(stack: Any) -> Iterator[str]:
    """A lookup server in this process wired to the stack's Rasa server and backend."""
    server = create_server(
        "127.0.0.1", 0, parse=real_parse(stack),
        status_fn=lambda number, token: core.status(number, token, core.backend_client(stack.backend_url)),
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_lookup_service_over_http(stack: Any, lookup_url: str, application: Dict[str, Any]) -> None:
    """The JSON API and the page answer from the real model; status needs the token."""
    body = requests.get(f"{lookup_url}/api/lookup?q={quote('要登报吗')}", timeout=T).json()
    assert body["answers"][0]["key"] == "newspaper"
    page = requests.get(f"{lookup_url}/?q={quote('要登报吗')}", timeout=T).text
    assert 'accesskey="1"' in page and knowledge.answer("newspaper") in page
    path = f"{lookup_url}/api/status/{application['number']}"
    assert requests.get(path, timeout=T).status_code == 401
    masked = requests.get(path, headers={"Authorization": f"Bearer {stack.staff_token}"}, timeout=T)
    assert masked.status_code == 200 and masked.json()["applicant_name_masked"] == "李**"


def test_stack_runs_the_lookup_service(stack: Any) -> None:
    """The stack's own `lookup` service answers from the running Rasa server."""
    health_url = stack.stack.service("lookup").health_url
    base = health_url.rsplit("/healthz", 1)[0]
    assert requests.get(health_url, timeout=T).json() == {"status": "ok"}
    body = requests.get(f"{base}/api/lookup?q={quote('要登报吗')}", timeout=T).json()
    assert body["answers"][0]["key"] == "newspaper"
