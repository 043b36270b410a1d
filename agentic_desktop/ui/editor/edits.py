"""Pure edits of the immutable domain Workflow: each returns a new Workflow (dataclasses.replace)
and shares every untouched Node, Edge and Note with the old one. The scene relies on that
sharing to find what changed by identity in O(n)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from agentic_desktop.domain.nodespec import NodeSpec
from agentic_desktop.domain.workflow import Edge, Node, Note, Workflow

GRID = 20.0
_ID_TAIL = re.compile(r"_(\d+)$")


def snap(value: float, grid: float = GRID) -> float:
    return round(value / grid) * grid


def base_id(type_id: str) -> str:
    tail = type_id.rsplit(".", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", tail) or "node"
    return cleaned[:48]


def unique_id(base: str, taken: set[str]) -> str:
    """`base`, else `base_2`, `base_3`, … (never reusing one in `taken`)."""
    if base not in taken:
        return base
    stem = _ID_TAIL.sub("", base)
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def add_node(wf: Workflow, spec: NodeSpec, position: tuple[float, float]) -> tuple[Workflow, str]:
    node_id = unique_id(base_id(spec.type_id), {n.id for n in wf.nodes})
    node = Node(id=node_id, type=spec.type_id, params=spec.default_params(), position=position)
    return replace(wf, nodes=(*wf.nodes, node)), node_id


def remove(wf: Workflow, node_ids: Iterable[str] = (), edges: Iterable[Edge] = (),
           note_ids: Iterable[str] = ()) -> Workflow:
    """Remove nodes (with every edge touching them), edges and notes."""
    gone_nodes, gone_edges, gone_notes = set(node_ids), set(edges), set(note_ids)
    return replace(
        wf,
        nodes=tuple(n for n in wf.nodes if n.id not in gone_nodes),
        edges=tuple(e for e in wf.edges if e not in gone_edges
                    and e.source_node not in gone_nodes and e.target_node not in gone_nodes),
        notes=tuple(c for c in wf.notes if c.id not in gone_notes),
    )


def add_edge(wf: Workflow, edge: Edge) -> Workflow:
    return replace(wf, edges=(*wf.edges, edge))


def move(wf: Workflow, positions: Mapping[str, tuple[float, float]]) -> Workflow:
    """New positions for nodes and notes, keyed by id (node and note ids may not clash
    in practice: notes get a `note` prefix)."""
    return replace(
        wf,
        nodes=tuple(replace(n, position=positions[n.id]) if n.id in positions else n
                    for n in wf.nodes),
        notes=tuple(replace(c, position=positions[c.id]) if c.id in positions else c
                    for c in wf.notes),
    )


def set_param(wf: Workflow, node_id: str, name: str, value: Any) -> Workflow:
    def edit(n: Node) -> Node:
        params = dict(n.params)
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
        return replace(n, params=params)

    return replace(wf, nodes=tuple(edit(n) if n.id == node_id else n for n in wf.nodes))


def set_title(wf: Workflow, node_id: str, title: str) -> Workflow:
    return replace(wf, nodes=tuple(replace(n, title=title) if n.id == node_id else n
                                   for n in wf.nodes))


def add_note(wf: Workflow, text: str, position: tuple[float, float]) -> tuple[Workflow, str]:
    note_id = unique_id("note", {c.id for c in wf.notes} | {n.id for n in wf.nodes})
    return replace(wf, notes=(*wf.notes, Note(id=note_id, text=text, position=position))), note_id


def set_note_text(wf: Workflow, note_id: str, text: str) -> Workflow:
    return replace(wf, notes=tuple(replace(c, text=text) if c.id == note_id else c
                                   for c in wf.notes))


def resize_note(wf: Workflow, note_id: str, size: tuple[float, float]) -> Workflow:
    return replace(wf, notes=tuple(replace(c, size=size) if c.id == note_id else c
                                   for c in wf.notes))


def fragment(wf: Workflow, node_ids: Iterable[str], note_ids: Iterable[str] = ()) -> Workflow:
    """The selected nodes and notes with the edges between them (what Copy puts on the
    clipboard)."""
    keep, keep_notes = set(node_ids), set(note_ids)
    return Workflow(
        name="fragment",
        nodes=tuple(n for n in wf.nodes if n.id in keep),
        edges=tuple(e for e in wf.edges if e.source_node in keep and e.target_node in keep),
        notes=tuple(c for c in wf.notes if c.id in keep_notes),
    )


def paste(wf: Workflow, piece: Workflow, offset: tuple[float, float]
          ) -> tuple[Workflow, list[str], list[str]]:
    """Insert `piece` with fresh ids (never clashing with `wf`), moved by `offset`.
    Returns the new workflow and the new node and note ids."""
    taken = {n.id for n in wf.nodes} | {c.id for c in wf.notes}
    renamed: dict[str, str] = {}
    nodes: list[Node] = []
    dx, dy = offset
    for n in piece.nodes:
        new_id = unique_id(n.id, taken)
        taken.add(new_id)
        renamed[n.id] = new_id
        nodes.append(replace(n, id=new_id, params=dict(n.params),
                             position=(n.position[0] + dx, n.position[1] + dy)))
    edges = [replace(e, source_node=renamed[e.source_node], target_node=renamed[e.target_node])
             for e in piece.edges if e.source_node in renamed and e.target_node in renamed]
    notes: list[Note] = []
    for c in piece.notes:
        new_id = unique_id(c.id, taken)
        taken.add(new_id)
        notes.append(replace(c, id=new_id, position=(c.position[0] + dx, c.position[1] + dy)))
    result = replace(wf, nodes=(*wf.nodes, *nodes), edges=(*wf.edges, *edges),
                     notes=(*wf.notes, *notes))
    return result, [n.id for n in nodes], [c.id for c in notes]
