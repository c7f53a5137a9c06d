"""diff.* and tx.*: our keyed diff next to jsonpatch and DeepDiff; a 1,000-op transaction round trip."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from benchutil import median_ms, ratio

from modgate import tx as txapi
from modgate.app import open_runtime
from modgate.tx.previews import diff


def _documents(leaves: int, changed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = random.Random(7)
    before = {f"g{g}": {f"k{k}": rng.randint(0, 10**6) for k in range(100)} for g in range(leaves // 100)}
    after = {g: dict(v) for g, v in before.items()}
    keys = [(g, k) for g, v in before.items() for k in v]
    for g, k in rng.sample(keys, changed):
        after[g][k] = after[g][k] + 1
    return before, after


def diff_section(quick: bool) -> dict[str, Any]:
    import jsonpatch
    from deepdiff import DeepDiff

    before, after = _documents(10_000, 100)
    repeat = 5 if quick else 15
    ours = median_ms(lambda: diff(before, after), repeat=repeat * 4)
    patch = median_ms(lambda: jsonpatch.make_patch(before, after), repeat=repeat)
    deep = median_ms(lambda: DeepDiff(before, after), repeat=max(3, repeat // 2))
    assert len(diff(before, after)) == 100 == len(jsonpatch.make_patch(before, after).patch)
    return {"10k_100_ms": ours, "jsonpatch_make_patch_ms": patch, "deepdiff_ms": deep,
            "ratio_vs_jsonpatch": ratio(ours, patch), "ratio_vs_deepdiff": ratio(ours, deep)}


def tx_section(quick: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="modgate-bench-tx-") as tmp:
        rt = open_runtime(Path(tmp))
        counter = [0]

        def round_trip() -> None:
            counter[0] += 1
            changes = [{"op": "add", "path": f"/doc/bench{counter[0]}x{i}", "value": {"i": i, "s": "x" * 20}}
                       for i in range(1000)]
            shown = txapi.preview(rt, changes)
            token = txapi.approve(rt, shown["txId"])["approvalToken"]
            txapi.apply(rt, shown["txId"], token)
            txapi.rollback(rt, shown["txId"])

        round_trip()  # warm up (key creation, caches)
        ms = median_ms(round_trip, repeat=5 if quick else 15)
        rt.close()
    return {"apply_rollback_1k_ms": ms}


def run(quick: bool) -> dict[str, Any]:
    return {"diff": diff_section(quick), "tx": tx_section(quick)}
