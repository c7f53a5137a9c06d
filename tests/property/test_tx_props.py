"""Hypothesis: apply then rollback gives back byte-identical state; duplicate apply keys replay."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modgate import tx as txapi
from modgate.app import open_runtime
from modgate.strictjson import canonical_bytes

leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=6))
value = st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                  st.dictionaries(st.text(min_size=1, max_size=4), kids, max_size=3)),
                     max_leaves=8)
paths = st.sampled_from(["/local/tool/penColor", "/local/view/viewMode", "/doc/animationModInput", "/sync/extra",
                         "/registry/modules/m-one", "/doc/audioByStep"])
change = st.tuples(st.sampled_from(["add", "replace", "remove"]), paths, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(change, min_size=1, max_size=5, unique_by=lambda c: c[1]))
def test_apply_then_rollback_is_byte_identical(changes: list[tuple[str, str, Any]]) -> None:
    home = Path(tempfile.mkdtemp(prefix="modgate-prop-"))
    try:
        rt = open_runtime(home)
        before = canonical_bytes(rt.store.state())
        ops = [{"op": op, "path": path, "value": v} if op != "remove" else {"op": op, "path": path}
               for op, path, v in changes]
        shown = txapi.preview(rt, ops)
        token = txapi.approve(rt, shown["txId"])["approvalToken"]
        first = txapi.apply(rt, shown["txId"], token, idempotency_key="same")
        assert txapi.apply(rt, shown["txId"], token, idempotency_key="same")["commitId"] == first["commitId"]
        txapi.rollback(rt, shown["txId"])
        assert canonical_bytes(rt.store.state()) == before
        rt.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
