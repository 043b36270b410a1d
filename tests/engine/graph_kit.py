"""Small node types for testing the executor and the graph model without the trading
catalog: constants, arithmetic, a gate, a failing node and a slow node."""

from __future__ import annotations

import asyncio
from typing import Any

from agentic_desktop.domain.errors import RetryableError, UserError
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.workflow import Edge, Node, Workflow
from agentic_desktop.nodes.registry import NodeRegistry, node


@node(NodeSpec(type_id="t.const", version=1, category="Market Data", title="Const",
               outputs=(PortSpec(name="value", type="number"),),
               params=(ParamSpec(name="value", kind="float", default=1.0, minimum=-1e9,
                                 maximum=1e9),)))
async def const(ctx: Any) -> dict[str, Any]:
    return {"value": float(ctx.params["value"])}


@node(NodeSpec(type_id="t.add", version=1, category="Conditions", title="Add",
               inputs=(PortSpec(name="a", type="number"),
                       PortSpec(name="b", type="number", required=False),
                       PortSpec(name="when", type="signal", accepts=("bool",), required=False,
                                gate=True)),
               outputs=(PortSpec(name="sum", type="number"),)))
async def add(ctx: Any) -> dict[str, Any]:
    return {"sum": ctx.inputs["a"] + ctx.inputs.get("b", 0.0)}


@node(NodeSpec(type_id="t.gt", version=1, category="Conditions", title="Greater",
               inputs=(PortSpec(name="a", type="number"),),
               outputs=(PortSpec(name="result", type="signal"),),
               params=(ParamSpec(name="than", kind="float", default=0.0),)))
async def greater(ctx: Any) -> dict[str, Any]:
    return {"result": ctx.inputs["a"] > ctx.params["than"]}


@node(NodeSpec(type_id="t.fail", version=1, category="Orders", title="Fail",
               inputs=(PortSpec(name="a", type="any", required=False),),
               outputs=(PortSpec(name="out", type="number"),),
               params=(ParamSpec(name="kind", kind="choice", default="user",
                                 choices=("user", "retryable", "bug", "missing")),)))
async def fail(ctx: Any) -> dict[str, Any]:
    kind = ctx.params["kind"]
    if kind == "user":
        raise UserError("param 'x' is wrong: set it to 3")
    if kind == "retryable":
        raise RetryableError("broker unreachable")
    if kind == "missing":
        return {}
    raise ZeroDivisionError("division by zero")


@node(NodeSpec(type_id="t.sleep", version=1, category="Notifications", title="Sleep",
               inputs=(PortSpec(name="a", type="any", required=False),),
               outputs=(PortSpec(name="out", type="number"),),
               params=(ParamSpec(name="seconds", kind="float", default=0.01, minimum=0),)))
async def sleep(ctx: Any) -> dict[str, Any]:
    await asyncio.sleep(ctx.params["seconds"])
    return {"out": 1.0}


@node(NodeSpec(type_id="t.orderid", version=1, category="Orders", title="Order id",
               outputs=(PortSpec(name="id", type="text"),)))
async def order_id(ctx: Any) -> dict[str, Any]:
    return {"id": ctx.client_order_id()}


def kit_registry() -> NodeRegistry:
    return NodeRegistry([const, add, greater, fail, sleep, order_id])


def chain(*types: str, params: dict[str, dict[str, Any]] | None = None) -> Workflow:
    """A linear workflow n0 → n1 → … wiring each node's first output to the next's first input."""
    reg = kit_registry()
    nodes, edges = [], []
    for i, t in enumerate(types):
        nodes.append(Node(id=f"n{i}", type=t, params=(params or {}).get(f"n{i}", {})))
        if i:
            src, dst = reg.get(types[i - 1]), reg.get(t)
            assert src and dst
            edges.append(Edge(source_node=f"n{i-1}", source_port=src.outputs[0].name,
                              target_node=f"n{i}", target_port=dst.inputs[0].name))
    return Workflow(name="chain", nodes=tuple(nodes), edges=tuple(edges))
