"""The workflow graph: pure data, JSON on disk, validation (DESIGN.md §4).

A workflow file from a stranger must be safe to open: parsing is `json.loads` plus explicit
checks, never `eval` or `pickle`.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from agentic_desktop.domain.errors import Problem, UserError, ValidationError
from agentic_desktop.domain.nodespec import NodeSpec

FORMAT = "agentic-workflow"
FORMAT_VERSION = 1
NODE_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")


class SpecLookup(Protocol):
    def get(self, type_id: str) -> NodeSpec | None: ...


@dataclass(frozen=True, kw_only=True)
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    title: str = ""


@dataclass(frozen=True, kw_only=True)
class Edge:
    source_node: str
    source_port: str
    target_node: str
    target_port: str


@dataclass(frozen=True, kw_only=True)
class Note:
    """A sticky-note comment on the canvas; it never runs."""

    id: str
    text: str
    position: tuple[float, float] = (0.0, 0.0)
    size: tuple[float, float] = (200.0, 120.0)


@dataclass(frozen=True, kw_only=True)
class Workflow:
    name: str
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    notes: tuple[Note, ...] = ()
    id: int | None = None
    description: str = ""

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def with_id(self, workflow_id: int | None) -> Workflow:
        return replace(self, id=workflow_id)

    def incoming(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.target_node == node_id]

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source_node == node_id]

    # -- JSON ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "nodes": [
                {"id": n.id, "type": n.type, "params": dict(n.params),
                 "position": [n.position[0], n.position[1]],
                 **({"title": n.title} if n.title else {})}
                for n in self.nodes
            ],
            "edges": [
                {"source": e.source_node, "source_port": e.source_port,
                 "target": e.target_node, "target_port": e.target_port}
                for e in self.edges
            ],
            "notes": [
                {"id": c.id, "text": c.text, "position": list(c.position), "size": list(c.size)}
                for c in self.notes
            ],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False)


def loads(text: str, *, source: str = "workflow") -> Workflow:
    """Parse workflow JSON text. Raises UserError naming `source` and the fix."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{source}: line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); "
            "fix the JSON syntax"
        ) from None
    return from_json(data, source=source)


def from_json(data: Any, *, source: str = "workflow") -> Workflow:
    if not isinstance(data, dict):
        raise UserError(f"{source}: expected a JSON object with \"format\": \"{FORMAT}\"")
    if data.get("format") != FORMAT:
        raise UserError(
            f"{source}: \"format\" must be \"{FORMAT}\", got {data.get('format')!r}; "
            "is this an Agentic Desktop workflow file?"
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise UserError(f"{source}: \"version\" must be a whole number, got {version!r}")
    if version > FORMAT_VERSION:
        raise UserError(
            f"{source}: file version {version} is newer than this app supports "
            f"({FORMAT_VERSION}); update Agentic Desktop"
        )
    data = _migrate(data, version)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise UserError(f"{source}: \"name\" must be non-empty text")
    nodes = tuple(_node(raw, i, source) for i, raw in enumerate(_list(data, "nodes", source)))
    edges = tuple(_edge(raw, i, source) for i, raw in enumerate(_list(data, "edges", source)))
    notes = tuple(_note(raw, i, source) for i, raw in enumerate(_list(data, "notes", source)))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise UserError(f"{source}: \"description\" must be text")
    return Workflow(name=name.strip(), nodes=nodes, edges=edges, notes=notes,
                    description=description)


def _migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    # Version 1 is the first format; older versions would be upgraded step by step here.
    return data


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise UserError(f"{source}: \"{key}\" must be a list")
    return value


def _str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise UserError(f"{where}: \"{key}\" must be non-empty text, got {value!r}")
    return value


def _point(value: Any, where: str, default: tuple[float, float]) -> tuple[float, float]:
    if value is None:
        return default
    if (
        isinstance(value, list) and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        return (float(value[0]), float(value[1]))
    raise UserError(f"{where}: expected [x, y] numbers, got {value!r}")


def _node(raw: Any, index: int, source: str) -> Node:
    where = f"{source}: nodes[{index}]"
    if not isinstance(raw, dict):
        raise UserError(f"{where}: expected an object with \"id\" and \"type\"")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise UserError(f"{where}: \"params\" must be an object")
    title = raw.get("title", "")
    return Node(
        id=_str(raw, "id", where),
        type=_str(raw, "type", where),
        params=dict(params),
        position=_point(raw.get("position"), f"{where}.position", (0.0, 0.0)),
        title=title if isinstance(title, str) else "",
    )


def _edge(raw: Any, index: int, source: str) -> Edge:
    where = f"{source}: edges[{index}]"
    if not isinstance(raw, dict):
        raise UserError(
            f"{where}: expected an object with source, source_port, target, target_port")
    return Edge(
        source_node=_str(raw, "source", where),
        source_port=_str(raw, "source_port", where),
        target_node=_str(raw, "target", where),
        target_port=_str(raw, "target_port", where),
    )


def _note(raw: Any, index: int, source: str) -> Note:
    where = f"{source}: notes[{index}]"
    if not isinstance(raw, dict):
        raise UserError(f"{where}: expected an object with id and text")
    text = raw.get("text", "")
    return Note(
        id=_str(raw, "id", where),
        text=text if isinstance(text, str) else "",
        position=_point(raw.get("position"), f"{where}.position", (0.0, 0.0)),
        size=_point(raw.get("size"), f"{where}.size", (200.0, 120.0)),
    )


# -- validation -------------------------------------------------------------------------


def validate(
    workflow: Workflow, specs: SpecLookup, *, symbols: frozenset[str] | None = None
) -> list[Problem]:
    """Every problem in the workflow, each naming its node and port or param."""
    problems: list[Problem] = []
    by_id: dict[str, Node] = {}
    for node in workflow.nodes:
        if node.id in by_id:
            problems.append(Problem(node_id=node.id, message="duplicate node id: rename one"))
        elif not NODE_ID_RE.match(node.id):
            problems.append(Problem(
                node_id=node.id,
                message="node id must be 1-64 letters, digits, '_', '-' or '.'",
            ))
        by_id.setdefault(node.id, node)
    for node in by_id.values():
        spec = specs.get(node.type)
        if spec is None:
            problems.append(Problem(
                node_id=node.id,
                message=f"unknown node type {node.type!r}: see `agentic-desktop nodes`",
            ))
            continue
        for name, value in node.params.items():
            pspec = spec.param(name)
            if pspec is None:
                known = ", ".join(p.name for p in spec.params) or "none"
                problems.append(Problem(
                    node_id=node.id, param=name,
                    message=f"unknown param for {spec.type_id} (known: {known})"))
                continue
            why = pspec.check(value, symbols=symbols)
            if why:
                problems.append(Problem(node_id=node.id, param=name, message=why))
        for pspec in spec.params:
            if pspec.required and pspec.default is None and pspec.name not in node.params:
                problems.append(Problem(node_id=node.id, param=pspec.name,
                                        message="is required: set a value"))
    connected: dict[tuple[str, str], Edge] = {}
    for edge in workflow.edges:
        problems.extend(_edge_problems(edge, by_id, specs, connected))
    for node in by_id.values():
        spec = specs.get(node.type)
        if spec is None:
            continue
        for port in spec.inputs:
            if port.required and (node.id, port.name) not in connected:
                problems.append(Problem(node_id=node.id, port=port.name,
                                        message="required input is not connected"))
    cycle = find_cycle(workflow)
    if cycle:
        problems.append(Problem(node_id=cycle[0],
                                message=f"cycle: {' -> '.join(cycle)}; remove one of these edges"))
    return problems


def _edge_problems(
    edge: Edge, by_id: Mapping[str, Node], specs: SpecLookup,
    connected: dict[tuple[str, str], Edge],
) -> list[Problem]:
    src, dst = by_id.get(edge.source_node), by_id.get(edge.target_node)
    if src is None:
        return [Problem(node_id=edge.source_node,
                        message="edge starts at a node that does not exist")]
    if dst is None:
        return [Problem(node_id=edge.target_node,
                        message="edge ends at a node that does not exist")]
    src_spec, dst_spec = specs.get(src.type), specs.get(dst.type)
    if src_spec is None or dst_spec is None:
        return []  # already reported as an unknown type
    out = src_spec.output(edge.source_port)
    if out is None:
        return [Problem(node_id=src.id, port=edge.source_port,
                        message=f"{src_spec.title} has no output {edge.source_port!r}")]
    inp = dst_spec.input(edge.target_port)
    if inp is None:
        return [Problem(node_id=dst.id, port=edge.target_port,
                        message=f"{dst_spec.title} has no input {edge.target_port!r}")]
    key = (dst.id, inp.name)
    if key in connected:
        return [Problem(node_id=dst.id, port=inp.name,
                        message="input is connected twice: an input takes one edge")]
    connected[key] = edge
    if not inp.accepts_type(out.type):
        return [Problem(node_id=dst.id, port=inp.name,
                        message=f"type mismatch: {out.type} output {src.id}.{out.name} "
                                f"cannot feed {inp.type} input")]
    return []


def require_valid(workflow: Workflow, specs: SpecLookup, *,
                  symbols: frozenset[str] | None = None) -> None:
    problems = validate(workflow, specs, symbols=symbols)
    if problems:
        raise ValidationError(problems, subject=f"workflow {workflow.name!r}")


def can_connect(
    workflow: Workflow, specs: SpecLookup, source_node: str, source_port: str,
    target_node: str, target_port: str,
) -> str | None:
    """None when the edge may be added, else the reason it is refused (for the editor)."""
    src, dst = workflow.node(source_node), workflow.node(target_node)
    if src is None or dst is None:
        return "node does not exist"
    if source_node == target_node:
        return "a node cannot feed itself"
    src_spec, dst_spec = specs.get(src.type), specs.get(dst.type)
    if src_spec is None or dst_spec is None:
        return "unknown node type"
    out, inp = src_spec.output(source_port), dst_spec.input(target_port)
    if out is None:
        return f"{src_spec.title} has no output {source_port!r}"
    if inp is None:
        return f"{dst_spec.title} has no input {target_port!r}"
    if not inp.accepts_type(out.type):
        return f"type mismatch: {out.type} cannot connect to {inp.type}"
    if any(e.target_node == target_node and e.target_port == target_port for e in workflow.edges):
        return f"input {target_port!r} is already connected"
    if _reaches(workflow, target_node, source_node):
        return "would create a cycle"
    return None


def _reaches(workflow: Workflow, start: str, goal: str) -> bool:
    adjacency = _adjacency(workflow.edges)
    seen = {start}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            return True
        for nxt in adjacency.get(current, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def _adjacency(edges: Iterable[Edge]) -> dict[str, list[str]]:
    adjacency: dict[str, list[str]] = {}
    for e in edges:
        adjacency.setdefault(e.source_node, []).append(e.target_node)
    return adjacency


def topological_order(workflow: Workflow) -> list[str]:
    """Kahn's algorithm, O(V+E); stable (file order among ready nodes). Raises on a cycle."""
    order, leftover = _kahn(workflow)
    if leftover:
        raise ValidationError([Problem(node_id=leftover[0], message="cycle in the graph")])
    return order


def find_cycle(workflow: Workflow) -> list[str]:
    """The node ids of one cycle (closed: first id repeated at the end), or [] when acyclic.

    Linear: Kahn's algorithm strips every node not on or behind a cycle; a walk along
    remaining edges then must revisit a node.
    """
    _, leftover = _kahn(workflow)
    if not leftover:
        return []
    remaining = set(leftover)
    adjacency = {
        k: [t for t in v if t in remaining]
        for k, v in _adjacency(workflow.edges).items() if k in remaining
    }
    position: dict[str, int] = {}
    path: list[str] = []
    current = leftover[0]
    while current not in position:
        position[current] = len(path)
        path.append(current)
        current = adjacency[current][0]
    return path[position[current]:] + [current]


def _kahn(workflow: Workflow) -> tuple[list[str], list[str]]:
    ids = list(dict.fromkeys(n.id for n in workflow.nodes))
    known = set(ids)
    indegree = dict.fromkeys(ids, 0)
    adjacency: dict[str, list[str]] = {}
    for e in workflow.edges:
        if e.source_node in known and e.target_node in known:
            adjacency.setdefault(e.source_node, []).append(e.target_node)
            indegree[e.target_node] += 1
    queue = deque(i for i in ids if indegree[i] == 0)
    order: list[str] = []
    while queue:
        current = queue.popleft()
        order.append(current)
        for nxt in adjacency.get(current, ()):
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                queue.append(nxt)
    done = set(order)
    return order, [i for i in ids if i not in done]
