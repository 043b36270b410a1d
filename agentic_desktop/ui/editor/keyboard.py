"""Keyboard building blocks for the editor, pure over the domain Workflow: where a node added
"after" the selected one goes, which connection it gets, what the Connect picker offers, and
which node the arrow keys move the selection to."""

from __future__ import annotations

from collections.abc import Callable

from agentic_desktop.domain.workflow import Edge, SpecLookup, Workflow, can_connect

Size = Callable[[str], tuple[float, float]]
GAP_X, GAP_Y = 80.0, 40.0
MAX_CANDIDATE_NODES = 40  # the Connect picker looks at the nearest nodes only


def free_spot_right_of(wf: Workflow, source_id: str, size: Size,
                       new_size: tuple[float, float]) -> tuple[float, float]:
    """Right of `source_id`, top-aligned with it, moved down past any node in the way."""
    src = wf.node(source_id)
    assert src is not None
    w, _ = size(source_id)
    return free_spot_at(wf, (src.position[0] + w + GAP_X, src.position[1]), size, new_size)


def free_spot_at(wf: Workflow, point: tuple[float, float], size: Size,
                 new_size: tuple[float, float]) -> tuple[float, float]:
    """`point`, or below it past the nodes that would be covered."""
    x, y = point
    boxes = [(n.position, size(n.id)) for n in wf.nodes]
    for _ in range(100):
        clash = next(((p, s) for p, s in boxes
                      if x < p[0] + s[0] and p[0] < x + new_size[0]
                      and y < p[1] + s[1] and p[1] < y + new_size[1]), None)
        if clash is None:
            break
        y = clash[0][1] + clash[1][1] + GAP_Y
    return x, y


def first_connection(wf: Workflow, specs: SpecLookup, source_id: str,
                     target_id: str) -> Edge | None:
    """The output of `source_id` that best feeds an input of `target_id`: matching port
    names first ("distance" → "stop_distance"), then the same type, then any the input
    accepts."""
    src, dst = wf.node(source_id), wf.node(target_id)
    src_spec = specs.get(src.type) if src else None
    dst_spec = specs.get(dst.type) if dst else None
    if src_spec is None or dst_spec is None:
        return None
    pairs = [(o, i) for i in dst_spec.inputs for o in src_spec.outputs]
    pairs.sort(key=lambda p: (_name_rank(p[0].name, p[1].name), p[0].type != p[1].type))
    for out, inp in pairs:
        if can_connect(wf, specs, source_id, out.name, target_id, inp.name) is None:
            return Edge(source_node=source_id, source_port=out.name,
                        target_node=target_id, target_port=inp.name)
    return None


def _name_rank(out: str, inp: str) -> int:
    return 0 if out == inp else 1 if (out in inp or inp in out) else 2


def connection_candidates(wf: Workflow, specs: SpecLookup, node_id: str,
                          title: Callable[[str], str]) -> list[tuple[Edge, str]]:
    """Every edge `node_id` may get, from its outputs to later nodes' inputs and from other
    nodes' outputs to its free inputs, as (edge, "Source.port → Target.port"), nearest
    nodes first."""
    me = wf.node(node_id)
    if me is None or specs.get(me.type) is None:
        return []
    mx, my = me.position

    def distance(n_id: str) -> float:
        n = wf.node(n_id)
        assert n is not None
        return abs(n.position[0] - mx) + abs(n.position[1] - my)

    others = sorted((n.id for n in wf.nodes if n.id != node_id), key=distance)
    found: list[tuple[Edge, str]] = []
    my_spec = specs.get(me.type)
    assert my_spec is not None
    for other_id in others[:MAX_CANDIDATE_NODES]:
        other = wf.node(other_id)
        other_spec = specs.get(other.type) if other else None
        if other_spec is None:
            continue
        directions = [(node_id, my_spec, other_id, other_spec),
                      (other_id, other_spec, node_id, my_spec)]
        for src_id, src_spec, dst_id, dst_spec in directions:
            for out in src_spec.outputs:
                for inp in dst_spec.inputs:
                    if can_connect(wf, specs, src_id, out.name, dst_id, inp.name) is None:
                        edge = Edge(source_node=src_id, source_port=out.name,
                                    target_node=dst_id, target_port=inp.name)
                        found.append((edge, f"{title(src_id)}.{out.name} → "
                                            f"{title(dst_id)}.{inp.name}"))
    # Matching port names first ("take_profit" → "take_profit"), then the nearest nodes.
    found.sort(key=lambda f: _name_rank(f[0].source_port, f[0].target_port))  # stable
    return found


def nearest_in_direction(positions: dict[str, tuple[float, float]], current: str,
                         dx: int, dy: int) -> str | None:
    """The node closest to `current` in the direction (dx, dy), favouring nodes in line."""
    cx, cy = positions[current]
    best: tuple[float, str] | None = None
    for node_id, (x, y) in positions.items():
        if node_id == current:
            continue
        along = (x - cx) * dx + (y - cy) * dy
        if along <= 0:
            continue
        across = abs((x - cx) * dy) + abs((y - cy) * dx)
        score = along + 2 * across
        if best is None or score < best[0]:
            best = (score, node_id)
    return best[1] if best else None
