"""The node catalog: each node module declares its nodes with `@node(...)`; `build_catalog()`
collects them. The declaration (a NodeSpec) is the single source for validation, the CLI
catalog, the editor palette, the inspector and the API."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from agentic_desktop.domain.nodespec import CATEGORIES, NodeSpec
from agentic_desktop.engine.ports import NodeImpl, NodeRunFn

# Modules that declare nodes, in palette order.
NODE_MODULES = (
    "agentic_desktop.nodes.triggers",
    "agentic_desktop.nodes.market_data",
    "agentic_desktop.nodes.indicators",
    "agentic_desktop.nodes.risk",
    "agentic_desktop.nodes.conditions",
    "agentic_desktop.nodes.orders",
    "agentic_desktop.nodes.notifications",
)


class NodeRegistry:
    def __init__(self, impls: Iterable[NodeImpl] = ()) -> None:
        self._impls: dict[str, NodeImpl] = {}
        for impl in impls:
            self.add(impl)

    def add(self, impl: NodeImpl) -> None:
        spec = impl.spec
        if spec.type_id in self._impls:
            raise ValueError(f"node type {spec.type_id!r} is declared twice")
        if spec.category not in CATEGORIES:
            raise ValueError(f"node type {spec.type_id!r}: unknown category {spec.category!r}")
        self._impls[spec.type_id] = impl

    def get(self, type_id: str) -> NodeSpec | None:
        impl = self._impls.get(type_id)
        return impl.spec if impl else None

    def impl(self, type_id: str) -> NodeImpl | None:
        return self._impls.get(type_id)

    def specs(self) -> list[NodeSpec]:
        order = {c: i for i, c in enumerate(CATEGORIES)}
        ranked = sorted(self._impls.values(), key=lambda i: order[i.spec.category])
        return [i.spec for i in ranked]

    def __len__(self) -> int:
        return len(self._impls)


def node(spec: NodeSpec) -> Callable[[NodeRunFn], NodeImpl]:
    """Declare a node: `@node(NodeSpec(...))` over `async def run(ctx) -> dict[str, Any]`.

    The decorated name becomes the NodeImpl; the module lists it in `NODES`.
    """

    def wrap(fn: NodeRunFn) -> NodeImpl:
        return NodeImpl(spec=spec, run=fn)

    return wrap


def build_catalog(modules: Iterable[str] = NODE_MODULES) -> NodeRegistry:
    """Import each node module and register its `NODES` tuple. Missing modules are skipped
    so the catalog can grow module by module."""
    registry = NodeRegistry()
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        for impl in getattr(module, "NODES", ()):
            registry.add(impl)
    return registry
