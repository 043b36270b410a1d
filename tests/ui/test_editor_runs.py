"""The editor follows its own run, matched by run key: another run of the same workflow (a
schedule firing at the same moment) never paints its canvas or fills its Run log."""

from __future__ import annotations

import asyncio
import dataclasses

from tests.ui.conftest import until
from tests.ui.services_kit import example


def test_editor_matches_its_run_by_key_not_by_workflow_name(window, kit, run_async):
    dms = example()
    window.document.load(dms)
    # Same name, one node: a run the editor must ignore. It starts first, so matching by
    # name would have adopted it.
    other = dataclasses.replace(dms, nodes=dms.nodes[:1], edges=())
    scheduled = asyncio.ensure_future(kit.executor.run(other, idempotency_key="schedule:7"))
    assert window.runs.run()
    key = window.runs.run_key
    assert key is not None and key.startswith("editor:")
    run_async(until(lambda: window.runs.last_result is not None and not window.runs.running))
    run_async(scheduled)

    result = window.runs.last_result
    assert result.idempotency_key == key
    assert len(result.node_runs) == len(dms.nodes)
    logged = [row[0] for row in window.run_log.rows() if row[0]]
    assert sorted(logged) == sorted(n.id for n in dms.nodes)
    scene = window.editor.scene
    assert all(scene.nodes[n.id].status is not None for n in dms.nodes)
