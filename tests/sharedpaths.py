"""Where ../shared is: beside the checkout (CI's layout), else /work/shared."""

from __future__ import annotations

from pathlib import Path

_CANDIDATES = (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
SHARED = next((p for p in _CANDIDATES if (p / "conformance").is_dir()), _CANDIDATES[-1])
