"""Fuzzing the JSON bodies of every POST/PUT route against the real server: whatever the body,
the answer is never a 5xx. Bodies mix arbitrary JSON with near-valid documents built from the
keys the routes know, so the deep validators (cron, zones, conditions, intervals, indicator
params, workflow graphs) get exercised, not only the type checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api

SCHEDULE_KEYS = ("workflow_id", "trigger_type", "trigger_config", "is_active", "name",
                 "priority", "max_retries", "misfire_policy", "misfire_grace_seconds")
CONFIG_KEYS = ("cron_expression", "timezone", "symbol", "condition", "check_interval",
               "interval_minutes", "interval_seconds", "anchor", "indicator", "params",
               "timeframe", "source", "hysteresis", "lookback")
TRIGGERS = ("cron", "time", "price", "indicator", "webhook", "manual")

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 5, 15, 59, 60, 86400, 10**12, -1, 0.5, 1e308]),
)
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "0 9 * * *", "*/15 * * * *", "@daily", "0 0 31 2 *", "0 0 30 2 *", "* * * * * *",
        "61 * * * *", "0 9 * * 1-5", "L W # H", "UTC", "America/New_York", "Mars/Base",
        "../../etc/passwd", "EURUSD", "eurusd", "price > 1.10", "rsi < 30",
        "price crosses_above 1.1 and bid < 2", "((((price > 1))))", "price >> 1",
        "__import__('os')", "rsi", "macd", "bbands", "H1", "M2", "bid", "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00", "9999-12-31T23:59:59+14:00", "coalesce", "skip", "\x00", "",
    ]),
)
json_scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
config = st.one_of(
    st.dictionaries(st.sampled_from(CONFIG_KEYS), json_values, max_size=6),
    json_values,
)
schedule_doc = st.fixed_dictionaries(
    {"workflow_id": st.one_of(st.sampled_from([1, 2, 3, 999]), json_values),
     "trigger_type": st.one_of(st.sampled_from(TRIGGERS), json_values),
     "trigger_config": config},
    optional={k: json_values for k in SCHEDULE_KEYS[3:]} | {"after": json_values,
                                                           "count": numbers},
)
node = st.fixed_dictionaries(
    {"id": texts, "type": st.one_of(st.sampled_from(
        ["indicator.rsi", "market.candles", "condition.compare", "nope"]), texts)},
    optional={"params": st.dictionaries(st.sampled_from(["period", "symbol", "timeframe",
                                                         "operator", "value"]),
                                        json_values, max_size=3),
              "position": json_values, "title": json_values},
)
workflow_doc = st.fixed_dictionaries(
    {"name": st.one_of(texts, json_values)},
    optional={"format": st.sampled_from(["agentic-workflow", "other"]),
              "version": st.one_of(st.sampled_from([0, 1, 2]), json_values),
              "nodes": st.one_of(st.lists(node, max_size=4), json_values),
              "edges": st.one_of(st.lists(st.dictionaries(
                  st.sampled_from(["source", "source_port", "target", "target_port"]), texts),
                  max_size=3), json_values),
              "description": json_values},
)
bodies = st.one_of(schedule_doc, workflow_doc, json_values,
                   st.dictionaries(st.sampled_from([*SCHEDULE_KEYS, "payload", "secret", "id"]),
                                   json_values, max_size=5))
raw_bodies = st.one_of(bodies.map(lambda b: json.dumps(b).encode()),
                       st.binary(max_size=200))

ROUTES = (
    ("POST", "/api/agentic/scheduler/jobs"),
    ("PUT", "/api/agentic/scheduler/jobs/{sid}"),
    ("POST", "/api/agentic/scheduler/jobs/{sid}/run"),
    ("POST", "/api/agentic/scheduler/jobs/{sid}/toggle"),
    ("POST", "/api/agentic/scheduler/preview"),
    ("POST", "/api/agentic/scheduler/queue/jobs/1/cancel"),
    ("POST", "/api/agentic/scheduler/queue/jobs/1/retry"),
    ("POST", "/api/agentic/workflows"),
    ("PUT", "/api/agentic/workflows/3"),
    ("POST", "/api/agentic/workflows/1/run"),
    ("POST", "{hook}"),
)
FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


async def _targets(api: Api) -> dict[str, Any]:
    created = await api.client.post("/api/agentic/scheduler/jobs", json={
        "workflow_id": 1, "trigger_type": "webhook"})
    body = created.json()
    path = body["webhook_url"].split(str(api.server.port), 1)[1]
    return {"sid": body["id"], "hook": f"{path}?secret={body['webhook_secret']}"}


@pytest.mark.asyncio
@FUZZ
@given(route=st.sampled_from(ROUTES), body=bodies)
async def test_json_bodies_never_cause_a_5xx(api: Api, route: tuple[str, str],
                                             body: Any) -> None:
    targets = getattr(api, "_fuzz_targets", None) or await _targets(api)
    api._fuzz_targets = targets  # type: ignore[attr-defined]
    method, path = route
    response = await api.client.request(
        method, path.format(**targets), content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (method, path, body, response.text)


@pytest.mark.asyncio
@FUZZ
@given(route=st.sampled_from(ROUTES), raw=raw_bodies,
       content_type=st.sampled_from(["application/json", "text/plain", "",
                                     "application/x-www-form-urlencoded"]))
async def test_raw_bodies_never_cause_a_5xx(api: Api, route: tuple[str, str], raw: bytes,
                                            content_type: str) -> None:
    targets = getattr(api, "_fuzz_targets", None) or await _targets(api)
    api._fuzz_targets = targets  # type: ignore[attr-defined]
    method, path = route
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.client.request(method, path.format(**targets), content=raw,
                                        headers=headers)
    assert response.status_code < 500, (method, path, raw, response.text)
