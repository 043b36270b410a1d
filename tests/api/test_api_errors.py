"""Bad input: 401 without the token, 422 naming the field, 413 for big bodies, 409 for state
conflicts; and a rejected request writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.conftest import Api

JOBS = "/api/agentic/scheduler/jobs"
CRON = {"workflow_id": 1, "trigger_type": "cron",
        "trigger_config": {"cron_expression": "0 9 * * *", "timezone": "UTC"}}


def locs(response: Any) -> list[list[Any]]:
    return [d["loc"] for d in response.json()["detail"]]


def message(response: Any, loc: list[Any]) -> str:
    return next(d["msg"] for d in response.json()["detail"] if d["loc"] == loc)


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic abc"},
    {"Authorization": "Bearer"}, {"Authorization": ""},
])
async def test_missing_or_bad_token_is_401(api: Api, headers: dict[str, str]) -> None:
    for method, path in [("GET", JOBS), ("POST", JOBS), ("GET", "/openapi.json"),
                         ("GET", "/api/agentic/scheduler/queue/status"),
                         ("GET", "/api/agentic/workflows"), ("GET", "/nowhere")]:
        response = await api.anon.request(method, path, headers=headers,
                                          json=CRON if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.counts()[0] == 0


@pytest.mark.asyncio
async def test_unauthenticated_garbage_is_401_not_422(api: Api) -> None:
    response = await api.anon.post(JOBS, content=b"{not json",
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 401


@pytest.mark.asyncio
@pytest.mark.parametrize("config, field, words", [
    ({"cron_expression": "0 25 * * *", "timezone": "UTC"}, "cron_expression", "hour"),
    ({"cron_expression": "every day", "timezone": "UTC"}, "cron_expression", ""),
    ({"cron_expression": "0 9 * * *", "timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
    ({"timezone": "UTC"}, "cron_expression", "required"),
    ({"cron_expression": 9, "timezone": "UTC"}, "cron_expression", "text"),
    ({"cron_expression": "0 9 * * *", "tz": "UTC"}, "tz", "unknown setting"),
])
async def test_invalid_cron_names_the_field(api: Api, config: dict, field: str,
                                            words: str) -> None:
    response = await api.client.post(JOBS, json={**CRON, "trigger_config": config})
    assert response.status_code == 422, response.text
    assert ["body", "trigger_config", field] in locs(response)
    assert words in message(response, ["body", "trigger_config", field])


@pytest.mark.asyncio
async def test_bad_timezone_and_expression_are_both_reported(api: Api) -> None:
    response = await api.client.post(JOBS, json={**CRON, "trigger_config": {
        "cron_expression": "61 * * * *", "timezone": "Nowhere/Land"}})
    assert response.status_code == 422
    assert ["body", "trigger_config", "timezone"] in locs(response)
    assert ["body", "trigger_config", "cron_expression"] in locs(response)


@pytest.mark.asyncio
async def test_bad_condition_points_at_the_token(api: Api) -> None:
    body = {"workflow_id": 1, "trigger_type": "price",
            "trigger_config": {"symbol": "EURUSD", "condition": "price >> 1.10",
                               "check_interval": 5}}
    response = await api.client.post(JOBS, json=body)
    assert response.status_code == 422
    text = message(response, ["body", "trigger_config", "condition"])
    assert "position 6" in text and "column 7" in text

    body["trigger_config"]["condition"] = "__import__('os') > 1"
    response = await api.client.post(JOBS, json=body)
    assert response.status_code == 422
    assert ["body", "trigger_config", "condition"] in locs(response)

    body["trigger_config"]["condition"] = "prce > 1.10"
    response = await api.client.post(JOBS, json=body)
    assert "did you mean 'price'" in message(response, ["body", "trigger_config", "condition"])


@pytest.mark.asyncio
async def test_unknown_symbol_and_bad_check_interval(api: Api) -> None:
    response = await api.client.post(JOBS, json={
        "workflow_id": 1, "trigger_type": "price",
        "trigger_config": {"symbol": "NOPE", "condition": "price > 1", "check_interval": 0}})
    assert response.status_code == 422
    assert "EURUSD" in message(response, ["body", "trigger_config", "symbol"])
    assert ["body", "trigger_config", "check_interval"] in locs(response)


@pytest.mark.asyncio
async def test_unknown_workflow_names_workflow_id(api: Api) -> None:
    response = await api.client.post(JOBS, json={**CRON, "workflow_id": 4242})
    assert response.status_code == 422
    assert "4242" in message(response, ["body", "workflow_id"])


@pytest.mark.asyncio
@pytest.mark.parametrize("patch, loc", [
    ({"workflow_id": "one"}, ["body", "workflow_id"]),
    ({"workflow_id": 1.5}, ["body", "workflow_id"]),
    ({"workflow_id": True}, ["body", "workflow_id"]),
    ({"workflow_id": 2**70}, ["body", "workflow_id"]),
    ({"trigger_type": "sometimes"}, ["body", "trigger_type"]),
    ({"trigger_config": "0 9 * * *"}, ["body", "trigger_config"]),
    ({"is_active": "yes"}, ["body", "is_active"]),
    ({"max_retries": 11}, ["body", "max_retries"]),
    ({"priority": 99}, ["body", "priority"]),
    ({"misfire_policy": "later"}, ["body", "misfire_policy"]),
    ({"misfire_grace_seconds": -1}, ["body", "misfire_grace_seconds"]),
    ({"colour": "blue"}, ["body", "colour"]),
])
async def test_wrong_types_name_the_field(api: Api, patch: dict, loc: list) -> None:
    response = await api.client.post(JOBS, json={**CRON, **patch})
    assert response.status_code == 422, response.text
    assert loc in locs(response)
    assert "input" not in response.json()["detail"][0]  # never echoed (may hold a secret)


@pytest.mark.asyncio
async def test_time_and_indicator_config_errors(api: Api) -> None:
    response = await api.client.post(JOBS, json={
        "workflow_id": 1, "trigger_type": "time", "trigger_config": {"interval_minutes": -5}})
    assert ["body", "trigger_config", "interval_minutes"] in locs(response)
    response = await api.client.post(JOBS, json={
        "workflow_id": 1, "trigger_type": "time", "trigger_config": {}})
    assert ["body", "trigger_config"] in locs(response)
    response = await api.client.post(JOBS, json={
        "workflow_id": 1, "trigger_type": "indicator",
        "trigger_config": {"symbol": "EURUSD", "timeframe": "H2", "indicator": "rsi",
                           "params": {"period": 14}, "condition": "rsi < 30"}})
    assert ["body", "trigger_config", "timeframe"] in locs(response)
    ok = await api.client.post(JOBS, json={
        "workflow_id": 1, "trigger_type": "indicator",
        "trigger_config": {"symbol": "EURUSD", "timeframe": "H1", "indicator": "rsi",
                           "params": {"period": 14}, "condition": "rsi < 30"}})
    assert ok.status_code == 201, ok.text


@pytest.mark.asyncio
async def test_malformed_json_is_422(api: Api) -> None:
    response = await api.client.post(JOBS, content=b'{"workflow_id": 1,',
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 422


@pytest.mark.asyncio
async def test_body_over_64_kib_is_413(api: Api) -> None:
    big = {**CRON, "name": "x" * (70 * 1024)}
    response = await api.client.post(JOBS, json=big)
    assert response.status_code == 413
    assert api.counts()[0] == 0


@pytest.mark.asyncio
async def test_streamed_body_over_64_kib_is_413_without_content_length(api: Api) -> None:
    async def chunks():
        for _ in range(20):
            yield b" " * 4096  # 80 KiB of JSON whitespace, sent chunked
            await asyncio.sleep(0)

    response = await api.client.post(JOBS, content=chunks(),
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "content-length" not in {k.lower() for k in response.request.headers}


@pytest.mark.asyncio
async def test_body_just_under_the_limit_is_accepted(api: Api) -> None:
    response = await api.client.post("/api/agentic/scheduler/preview", json={
        "trigger_type": "manual", "trigger_config": {}, "count": 1}, headers={})
    assert response.status_code == 200
    padded = b'{"trigger_type": "manual"' + b" " * (60 * 1024) + b"}"
    response = await api.client.post("/api/agentic/scheduler/preview", content=padded,
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


@pytest.mark.asyncio
async def test_rejected_requests_write_nothing(api: Api) -> None:
    created = await api.client.post(JOBS, json=CRON)
    assert created.status_code == 201
    sid = created.json()["id"]
    before = api.counts()
    secrets_before = (api.data_dir / "secrets.json").exists()
    stored_before = (await api.client.get(f"{JOBS}/{sid}")).json()
    bad_requests = [
        ("POST", JOBS, {**CRON, "trigger_config": {"cron_expression": "0 9 * * *",
                                                   "timezone": "Bad/Zone"}}),
        ("POST", JOBS, {**CRON, "workflow_id": 999}),
        ("POST", JOBS, {"workflow_id": 1, "trigger_type": "webhook",
                        "trigger_config": {"unexpected": 1}}),
        ("POST", JOBS, {**CRON, "max_retries": 50}),
        ("PUT", f"{JOBS}/{sid}", {"trigger_config": {"cron_expression": "bad"},
                                  "name": "renamed"}),
        ("PUT", f"{JOBS}/{sid}", {"workflow_id": 999, "name": "renamed"}),
        ("PUT", f"{JOBS}/{sid}", {"trigger_type": "price", "name": "renamed"}),
        ("POST", "/api/agentic/workflows", {"name": "", "nodes": []}),
        ("POST", "/api/agentic/workflows", {"name": "x", "nodes": [{"id": "a"}]}),
        ("POST", "/api/agentic/workflows/999/run", None),
        ("POST", f"{JOBS}/999/run", None),
    ]
    for method, path, body in bad_requests:
        response = await api.client.request(method, path, json=body)
        assert response.status_code in (404, 422), (path, body, response.text)
    assert api.counts() == before
    assert (api.data_dir / "secrets.json").exists() == secrets_before
    assert (await api.client.get(f"{JOBS}/{sid}")).json() == stored_before


@pytest.mark.asyncio
async def test_put_ignores_read_only_fields_from_a_get(api: Api) -> None:
    created = (await api.client.post(JOBS, json=CRON)).json()
    echoed = {**created, "name": "morning"}
    response = await api.client.put(f"{JOBS}/{created['id']}", json=echoed)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "morning"
    assert response.json()["next_run"] == created["next_run"]  # timing untouched


@pytest.mark.asyncio
async def test_changing_trigger_type_needs_its_config(api: Api) -> None:
    created = (await api.client.post(JOBS, json=CRON)).json()
    response = await api.client.put(f"{JOBS}/{created['id']}", json={"trigger_type": "time"})
    assert response.status_code == 422
    assert ["body", "trigger_config"] in locs(response)
    response = await api.client.put(f"{JOBS}/{created['id']}", json={
        "trigger_type": "time", "trigger_config": {"interval_seconds": 30}})
    assert response.status_code == 200
    assert response.json()["trigger_type"] == "time" and response.json()["timezone"] is None


@pytest.mark.asyncio
async def test_deleting_a_workflow_with_schedules_is_409(api: Api) -> None:
    await api.client.post(JOBS, json=CRON)
    response = await api.client.delete("/api/agentic/workflows/1")
    assert response.status_code == 409
    assert "schedule" in response.json()["detail"]


@pytest.mark.asyncio
async def test_path_ids_out_of_range_are_422_not_500(api: Api) -> None:
    for path in (f"{JOBS}/0", f"{JOBS}/-1", f"{JOBS}/{2**64}", f"{JOBS}/abc",
                 "/api/agentic/executions/99999999999999999999999"):
        response = await api.client.get(path)
        assert response.status_code == 422, path
