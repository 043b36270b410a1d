"""Webhook triggers: the secret in the URL or the JSON body (TradingView cannot send headers),
JSON or text bodies as the payload, 401 without the secret ever reaching the logs, and
Idempotency-Key / body "id" dedupe."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Api

JOBS = "/api/agentic/scheduler/jobs"


async def make_hook(api: Api) -> tuple[str, str, int]:
    response = await api.client.post(JOBS, json={"workflow_id": 2, "trigger_type": "webhook",
                                                 "trigger_config": {}})
    assert response.status_code == 201, response.text
    body = response.json()
    url = body["webhook_url"]
    assert url.startswith(f"http://127.0.0.1:{api.server.port}/api/agentic/webhooks/")
    assert len(body["webhook_secret"]) >= 32
    return urlsplit(url).path, body["webhook_secret"], body["id"]


def jobs_of(api: Api, schedule_id: int) -> list:
    return api.queue.list(scheduled_job_id=schedule_id)


@pytest.mark.asyncio
async def test_webhook_secret_lives_in_the_secret_store_not_sqlite(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    database = (api.data_dir / "agentic.db").read_bytes()
    for extra in api.data_dir.glob("agentic.db-*"):
        database += extra.read_bytes()
    assert secret.encode() not in database
    hook_id = path.rsplit("/", 1)[1]
    assert api.secrets.get(f"webhook:{hook_id}") == secret
    assert (api.data_dir / "secrets.json").stat().st_mode & 0o777 == 0o600
    listed = (await api.client.get(f"{JOBS}/{sid}")).json()
    assert "webhook_secret" not in listed and listed["webhook_url"].endswith(hook_id)


@pytest.mark.asyncio
async def test_secret_in_the_url_with_a_json_body(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    response = await api.anon.post(path, params={"secret": secret},
                                   json={"ticker": "EURUSD", "action": "buy", "price": 1.1})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    [job] = jobs_of(api, sid)
    assert job.id == response.json()["job_id"]
    assert job.trigger_type == "webhook" and job.workflow_id == 2
    assert job.payload == {"ticker": "EURUSD", "action": "buy", "price": 1.1}
    assert api.workers.wakes >= 1


@pytest.mark.asyncio
async def test_secret_in_the_json_body_is_not_kept_in_the_payload(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    response = await api.anon.post(path, json={"secret": secret, "signal": "long"})
    assert response.status_code == 202, response.text
    [job] = jobs_of(api, sid)
    assert job.payload == {"signal": "long"}


@pytest.mark.asyncio
async def test_tradingview_text_alert(api: Api) -> None:
    """TradingView posts a plain-text alert message (text/plain) to a URL with no headers of
    ours; placeholders are already filled in by TradingView."""
    path, secret, sid = await make_hook(api)
    message = "EURUSD crossing 1.1000 - strategy Long Entry: order buy @ 1.1002 filled"
    response = await api.anon.post(f"{path}?secret={secret}", content=message.encode(),
                                   headers={"Content-Type": "text/plain; charset=utf-8",
                                            "User-Agent": "Go-http-client/1.1"})
    assert response.status_code == 202, response.text
    [job] = jobs_of(api, sid)
    assert job.payload == {"text": message}


@pytest.mark.asyncio
async def test_tradingview_json_message_sent_as_text_plain(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    body = json.dumps({"secret": secret, "ticker": "BTCUSDT", "close": 64000.5, "id": "alert-7"})
    response = await api.anon.post(path, content=body.encode(),
                                   headers={"Content-Type": "text/plain"})
    assert response.status_code == 202, response.text
    [job] = jobs_of(api, sid)
    assert job.payload == {"ticker": "BTCUSDT", "close": 64000.5, "id": "alert-7"}


@pytest.mark.asyncio
async def test_bad_or_missing_secret_is_401_and_never_logged(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    path, secret, sid = await make_hook(api)
    wrong = "WRONG-" + secret[:20] + "-guess"
    caplog.set_level(logging.DEBUG)
    attempts = [
        api.anon.post(path, params={"secret": wrong}, json={"a": 1}),
        api.anon.post(path, json={"secret": wrong, "a": 1}),
        api.anon.post(path, content=b"buy", headers={"Content-Type": "text/plain"}),
        api.anon.post(path, params={"secret": ""}),
        api.anon.post(path, json={"secret": 12345}),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 401, response.text
        assert wrong not in response.text and secret not in response.text
    assert jobs_of(api, sid) == []
    # the real secret works, and neither it nor the wrong one appears in any log record
    ok = await api.anon.post(path, params={"secret": secret}, json={"a": 1})
    assert ok.status_code == 202
    # Everything the server side logged (httpx's own lines are this test's client, which
    # in real life is TradingView's).
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if not r.name.startswith(("httpx", "httpcore")))
    assert "rejected a delivery" in logged
    assert path.rsplit("/", 1)[1] in logged or "webhook" in logged
    assert wrong not in logged and secret not in logged
    assert "secret=" not in logged


@pytest.mark.asyncio
async def test_unknown_hook_is_404(api: Api) -> None:
    response = await api.anon.post("/api/agentic/webhooks/doesnotexist",
                                   params={"secret": "x"}, json={})
    assert response.status_code == 404


@pytest.mark.asyncio
async def test_idempotency_key_header_gives_one_job(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    answers = []
    for _ in range(3):
        answers.append(await api.anon.post(path, params={"secret": secret},
                                           json={"n": 1},
                                           headers={"Idempotency-Key": "delivery-42"}))
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert [a.json()["status"] for a in answers] == ["queued", "duplicate", "duplicate"]
    other = await api.anon.post(path, params={"secret": secret}, json={"n": 2},
                                headers={"Idempotency-Key": "delivery-43"})
    assert other.status_code == 202
    assert len(jobs_of(api, sid)) == 2


@pytest.mark.asyncio
async def test_body_id_gives_one_job(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    for _ in range(2):
        await api.anon.post(path, params={"secret": secret}, json={"id": 7, "side": "sell"})
    assert len(jobs_of(api, sid)) == 1
    # no key at all: every delivery is its own run
    for _ in range(2):
        await api.anon.post(path, params={"secret": secret}, json={"side": "sell"})
    assert len(jobs_of(api, sid)) == 3


@pytest.mark.asyncio
async def test_paused_webhook_schedule_is_409_and_queues_nothing(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    await api.client.post(f"{JOBS}/{sid}/toggle")
    response = await api.anon.post(path, params={"secret": secret}, json={})
    assert response.status_code == 409
    assert jobs_of(api, sid) == []


@pytest.mark.asyncio
async def test_deleting_the_schedule_deletes_its_secret(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    hook_id = path.rsplit("/", 1)[1]
    assert (await api.client.delete(f"{JOBS}/{sid}")).status_code == 200
    assert api.secrets.get(f"webhook:{hook_id}") is None
    response = await api.anon.post(path, params={"secret": secret}, json={})
    assert response.status_code == 404


@pytest.mark.asyncio
async def test_odd_bodies_are_payloads_not_errors(api: Api) -> None:
    path, secret, sid = await make_hook(api)
    bodies = [b"", b"[1, 2, 3]", b"\xff\xfe not utf-8", b"{broken json", b"[" * 5000,
              b'"just a string"', b"42", b'{"nested": ' * 50 + b"1" + b"}" * 50]
    for raw in bodies:
        response = await api.anon.post(path, params={"secret": secret}, content=raw,
                                       headers={"Content-Type": "application/json"})
        assert response.status_code == 202, (raw[:20], response.text)
    payloads = [j.payload for j in reversed(jobs_of(api, sid))]
    assert payloads[0] == {"text": ""}
    assert payloads[1] == {"body": [1, 2, 3]}
    assert payloads[3] == {"text": "{broken json"}
