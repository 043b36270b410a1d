"""The CLI as a user drives it: real subprocesses on a fresh data dir, exit codes and
messages checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "resources" / "examples"
DAILY = EXAMPLES / "01_daily_morning_strategy.json"


def cli(data_dir: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTIC_DESKTOP_HOME": str(data_dir)}
    proc = subprocess.run([sys.executable, "-m", "agentic_desktop", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if check is not None:
        assert proc.returncode == check, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_run_example_prints_per_node_json(data_dir: Path) -> None:
    proc = cli(data_dir, "run", str(DAILY), "--json")
    result = json.loads(proc.stdout)
    assert result["status"] == "completed"
    assert [n["node_id"] for n in result["nodes"]][:3] == ["candles", "rsi", "oversold"]
    assert all({"status", "duration_ms", "outputs"} <= set(n) for n in result["nodes"])
    assert result["metrics"]["total_nodes"] == 8


def test_nodes_catalog_by_category(data_dir: Path) -> None:
    specs = json.loads(cli(data_dir, "nodes", "--json").stdout)
    counts: dict[str, int] = {}
    for spec in specs:
        counts[spec["category"]] = counts.get(spec["category"], 0) + 1
    assert {k: counts[k] for k in ["Market Data", "Technical Indicators", "Risk Management",
                                   "Conditions", "Orders", "Notifications"]} == {
        "Market Data": 3, "Technical Indicators": 5, "Risk Management": 5, "Conditions": 2,
        "Orders": 2, "Notifications": 1}
    rsi = next(s for s in specs if s["type"] == "indicator.rsi")
    assert rsi["params"][0]["name"] == "period" and rsi["params"][0]["default"] == 14
    text = cli(data_dir, "nodes").stdout
    assert "Technical Indicators (5)" in text


def test_fresh_data_dir_has_examples_as_workflows_1_2_3(data_dir: Path) -> None:
    listed = json.loads(cli(data_dir, "workflows", "list", "--json").stdout)
    assert [(w["id"], w["name"]) for w in listed] == [
        (1, "Daily Morning Strategy"), (2, "Price Breakout Alert"), (3, "Regular Monitoring")]
    proc = cli(data_dir, "run", "3")
    assert "Regular Monitoring: completed" in proc.stdout


def test_workflow_import_export_round_trip(data_dir: Path, tmp_path: Path) -> None:
    source = json.loads(DAILY.read_text())
    source["name"] = "My copy"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(source))
    assert "as workflow 4" in cli(data_dir, "workflows", "import", str(path)).stdout
    out = tmp_path / "out.json"
    cli(data_dir, "workflows", "export", "4", str(out))
    exported = json.loads(out.read_text())
    assert exported["name"] == "My copy" and exported["format"] == "agentic-workflow"
    assert len(exported["nodes"]) == len(source["nodes"])
    dup = cli(data_dir, "workflows", "import", str(path), check=2)
    assert "My copy" in dup.stderr


def test_account_shows_paper_account_and_orders(data_dir: Path) -> None:
    cli(data_dir, "run", "2")  # the breakout example may place an order
    proc = cli(data_dir, "account")
    assert "Paper account (USD)" in proc.stdout and "balance" in proc.stdout
    data = json.loads(cli(data_dir, "account", "--json").stdout)
    assert data["account"]["currency"] == "USD"


@pytest.mark.parametrize("args, fragment", [
    (["run", "missing.json"], "missing.json: no such file"),
    (["run", "99"], "workflow 99 does not exist"),
    (["frobnicate"], "invalid choice"),
    (["run"], "the following arguments are required"),
    (["import-candles", "x.csv", "--symbol", "EURUSD"], "--timeframe"),
])
def test_bad_input_is_one_line_exit_2(data_dir: Path, args: list[str], fragment: str) -> None:
    proc = cli(data_dir, *args, check=2)
    assert fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_invalid_workflow_names_node_and_param(data_dir: Path, tmp_path: Path) -> None:
    data = json.loads(DAILY.read_text())
    data["nodes"][1]["params"]["period"] = 0
    data["nodes"].append({"id": "ghost", "type": "indicator.nope", "params": {}})
    data["nodes"][0]["params"]["symbol"] = "NOPE"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    proc = cli(data_dir, "validate", str(path), check=2)
    assert "node 'rsi', param 'period'" in proc.stderr
    assert "node 'ghost'" in proc.stderr and "unknown node type" in proc.stderr
    assert "unknown symbol 'NOPE'" in proc.stderr
    run = cli(data_dir, "run", str(path), check=2)
    assert "node 'rsi', param 'period'" in run.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "agentic-workflow", "version": 1, "name": "x", "nodes": [')
    proc = cli(data_dir, "validate", str(broken), check=2)
    assert "broken.json: line 1" in proc.stderr


def test_failed_run_exits_1_naming_the_node(data_dir: Path, tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "02_price_breakout_alert.json").read_text())
    data["nodes"][1]["params"]["value"] = 0.0  # always true
    data["nodes"][3]["params"]["volume"] = 5000.0  # above the 100-lot maximum: rejected
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data))
    proc = cli(data_dir, "run", str(path), check=1)
    assert "node 'order' failed" in proc.stderr


def test_import_candles_good_and_bad(data_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "eur.csv"
    rows = ["time,open,high,low,close,volume"]
    for i in range(30):
        price = 1.1 + i * 0.001
        rows.append(f"2024-01-01 {i % 24:02d}:00,{price},{price + 0.002},{price - 0.002},"
                    f"{price + 0.001},{100 + i}")
    good.write_text("\n".join(rows[:25]) + "\n")
    proc = cli(data_dir, "import-candles", str(good), "--symbol", "EURUSD", "--timeframe", "H1")
    assert "imported 24 EURUSD H1 candles" in proc.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("time,open,high,low,close,volume\n"
                   "2024-01-02 00:00,1.1,1.2,1.0,1.15,10\n"
                   "2024-01-02 01:00,1.1,1.0,1.2,1.15,10\n"
                   "2024-01-02 02:00,abc,1.2,1.0,1.15,10\n")
    proc = cli(data_dir, "import-candles", str(bad), "--symbol", "GBPUSD", "--timeframe", "H1",
               check=2)
    assert "line 3" in proc.stderr and "line 4" in proc.stderr
    # nothing from the bad file was written: a run on GBPUSD still uses the simulation
    mt5 = tmp_path / "mt5.csv"
    mt5.write_text("<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
                   "2024.01.02\t00:00:00\t1.1\t1.2\t1.0\t1.15\t10\t0\t5\n", encoding="utf-16")
    proc = cli(data_dir, "import-candles", str(mt5), "--symbol", "GBPUSD", "--timeframe", "H1")
    assert "imported 1 GBPUSD H1" in proc.stdout
