from __future__ import annotations

import json
import time

import pytest

from agentic_desktop.domain import workflow as wf
from agentic_desktop.domain.errors import UserError, ValidationError
from agentic_desktop.domain.workflow import Edge, Node, Workflow
from tests.engine.graph_kit import chain, kit_registry

REG = kit_registry()


def test_json_round_trip_keeps_everything() -> None:
    w = chain("t.const", "t.add", params={"n0": {"value": 2.5}})
    w = Workflow(name=w.name, nodes=w.nodes, edges=w.edges,
                 notes=(wf.Note(id="c1", text="hello", position=(5, 6)),), description="d")
    again = wf.loads(w.dumps())
    assert again == w
    data = json.loads(w.dumps())
    assert data["format"] == "agentic-workflow" and data["version"] == 1


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "line 1 column 2"),
    ('{"format": "other", "version": 1}', '"format" must be'),
    ('{"format": "agentic-workflow", "version": 99, "name": "x"}', "newer than this app"),
    ('{"format": "agentic-workflow", "version": 1, "name": ""}', '"name" must be'),
    ('{"format": "agentic-workflow", "version": 1, "name": "x", "nodes": [{"id": "a"}]}',
     'nodes[0]: "type"'),
    ('{"format": "agentic-workflow", "version": 1, "name": "x", "edges": [1]}', "edges[0]"),
    ('{"format": "agentic-workflow", "version": 1, "name": "x", "nodes": '
     '[{"id": "a", "type": "t", "position": [1]}]}', "nodes[0].position"),
])
def test_loads_rejects_bad_files_with_the_place(text: str, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        wf.loads(text, source="f.json")
    assert "f.json" in str(info.value) and fragment in str(info.value)


def test_loads_never_evaluates_content() -> None:
    evil = ('{"format": "agentic-workflow", "version": 1, '
            '"name": "__import__(\'os\').system(\'x\')",'
            ' "nodes": [{"id": "a", "type": "t.const", "params": {"value": "__import__(\'os\')"}}]}')
    w = wf.loads(evil)
    problems = wf.validate(w, REG)
    assert any(p.param == "value" and "must be a number" in p.message for p in problems)


def test_validate_lists_every_problem_with_node_and_port() -> None:
    w = Workflow(name="bad", nodes=(
        Node(id="a", type="t.const", params={"value": "x", "nope": 1}),
        Node(id="a", type="t.const"),
        Node(id="b", type="t.add"),
        Node(id="c", type="no.such"),
        Node(id="d", type="t.fail", params={"kind": "other"}),
        Node(id="e", type="t.orderid"),
    ), edges=(
        Edge(source_node="e", source_port="id", target_node="b", target_port="a"),
        Edge(source_node="a", source_port="zzz", target_node="b", target_port="b"),
    ))
    problems = wf.validate(w, REG)
    text = [str(p) for p in problems]
    assert any("duplicate node id" in t for t in text)
    assert any(p.node_id == "a" and p.param == "value" for p in problems)
    assert any(p.node_id == "a" and p.param == "nope" and "unknown param" in p.message for p in problems)
    assert any(p.node_id == "c" and "unknown node type 'no.such'" in p.message for p in problems)
    assert any(p.node_id == "d" and p.param == "kind" and "must be one of" in p.message for p in problems)
    assert any(p.node_id == "b" and p.port == "a" and "type mismatch" in p.message for p in problems)
    assert any(p.node_id == "a" and p.port == "zzz" for p in problems)


def test_missing_required_input_and_out_of_range_param() -> None:
    w = Workflow(name="x", nodes=(Node(id="s", type="t.sleep", params={"seconds": -1.0}),
                                  Node(id="b", type="t.add")))
    problems = wf.validate(w, REG)
    assert any(p.node_id == "b" and p.port == "a" and "not connected" in p.message for p in problems)
    assert any(p.node_id == "s" and p.param == "seconds" and "at least 0" in p.message
               for p in problems)


def test_cycle_is_reported_with_its_path() -> None:
    w = Workflow(name="cyc", nodes=(Node(id="x", type="t.add"), Node(id="y", type="t.add")),
                 edges=(Edge(source_node="x", source_port="sum", target_node="y", target_port="a"),
                        Edge(source_node="y", source_port="sum", target_node="x", target_port="a")))
    problems = wf.validate(w, REG)
    cycle = [p for p in problems if "cycle" in p.message]
    assert cycle and "x -> y -> x" in cycle[0].message or "y -> x -> y" in cycle[0].message
    with pytest.raises(ValidationError):
        wf.topological_order(w)


def diamond(layers: int) -> Workflow:
    """Each layer has two nodes that both feed both nodes of the next layer's join:
    a naive path-enumerating cycle check takes 2**layers steps."""
    nodes = [Node(id="L0", type="t.const")]
    edges = []
    prev = "L0"
    for i in range(1, layers + 1):
        left, right, join = f"L{i}a", f"L{i}b", f"L{i}j"
        nodes += [Node(id=left, type="t.add"), Node(id=right, type="t.add"),
                  Node(id=join, type="t.add")]
        edges += [Edge(source_node=prev, source_port="value" if prev == "L0" else "sum",
                       target_node=left, target_port="a"),
                  Edge(source_node=prev, source_port="value" if prev == "L0" else "sum",
                       target_node=right, target_port="a"),
                  Edge(source_node=left, source_port="sum", target_node=join, target_port="a"),
                  Edge(source_node=right, source_port="sum", target_node=join, target_port="b")]
        prev = join
    return Workflow(name="diamond", nodes=tuple(nodes), edges=tuple(edges))


def test_fifty_layer_diamond_validates_instantly() -> None:
    w = diamond(50)
    t0 = time.perf_counter()
    assert wf.validate(w, REG) == []
    order = wf.topological_order(w)
    elapsed = time.perf_counter() - t0
    assert order[0] == "L0" and order[-1] == "L50j"
    # Generous bound: the exponential algorithm would need ~2**50 steps, not a second.
    assert elapsed < 1.0
    assert wf.can_connect(w, REG, "L50j", "sum", "L1a", "b") == "would create a cycle"


def test_can_connect_gives_reasons() -> None:
    w = Workflow(name="c", nodes=(Node(id="k", type="t.const"), Node(id="a", type="t.add"),
                                  Node(id="o", type="t.orderid"), Node(id="g", type="t.gt")),
                 edges=(Edge(source_node="k", source_port="value", target_node="a",
                             target_port="a"),))
    assert wf.can_connect(w, REG, "k", "value", "a", "b") is None
    assert "already connected" in (wf.can_connect(w, REG, "k", "value", "a", "a") or "")
    assert "type mismatch" in (wf.can_connect(w, REG, "o", "id", "a", "b") or "")
    assert "itself" in (wf.can_connect(w, REG, "a", "sum", "a", "b") or "")
    assert "no output" in (wf.can_connect(w, REG, "k", "nope", "a", "b") or "")
    assert wf.can_connect(w, REG, "g", "result", "a", "when") is None
