"""store.*: how much the database grows per dispatch (issue 11, finding 8).

Host ``insertBlock``s with a ~300-byte block each, in a fresh home; the file size (after a WAL
checkpoint) is measured after the first and after the last window of dispatches. With whole
containers in the journal the growth per dispatch rose with the document (quadratic total);
with deltas it stays flat: ``bytes_per_dispatch_last`` / ``bytes_per_dispatch_first`` ~ 1.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from modgate.app import open_runtime


def _block(n: int) -> dict[str, Any]:
    return {"id": f"b{n}", "segments": [{"id": f"b{n}-s", "type": "text", "orderIndex": 0, "html": "x" * 250}]}


def _size(rt: Any, path: Path) -> int:
    rt.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def run(quick: bool) -> dict[str, Any]:
    window = 100 if quick else 300
    with tempfile.TemporaryDirectory(prefix="modgate-bench-store-") as tmp:
        home = Path(tmp)
        rt = open_runtime(home)
        db_file = home / "modgate.sqlite3"
        sizes = [_size(rt, db_file)]
        for part in range(3):
            for n in range(window):
                out = rt.bus.dispatch("insertBlock", {"block": _block(part * window + n)})
                assert out["ok"], out
            sizes.append(_size(rt, db_file))
        rt.close()
    first = (sizes[1] - sizes[0]) / window
    last = (sizes[3] - sizes[2]) / window
    return {"store": {"bytes_per_dispatch_first": round(first), "bytes_per_dispatch_last": round(last),
                      "bytes_per_dispatch": round((sizes[3] - sizes[0]) / (3 * window)),
                      "growth_ratio_last_vs_first": round(last / first, 2) if first else None,
                      "dispatches": 3 * window}}
