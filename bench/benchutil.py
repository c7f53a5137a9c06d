"""Timing helpers shared by the benchmark sections: medians of repeated runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def per_call_ns(fn: Callable[[], object], *, number: int, repeat: int) -> float:
    """Median over ``repeat`` batches of the mean time of one call, in ns."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter_ns() - start) / number)
    return round(statistics.median(samples), 1)


def median_ms(fn: Callable[[], object], *, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 3)


def spawn_ms(args: list[str], *, repeat: int) -> float:
    """Median wall time of running ``sys.executable args`` to completion."""
    def once() -> None:
        subprocess.run([sys.executable, *args], capture_output=True, check=True, timeout=60)

    once()  # warm the OS file cache
    return median_ms(once, repeat=repeat)


def ratio(ours: float, reference: float) -> float:
    return round(ours / reference, 3) if reference else float("nan")
