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


def interleaved_ns(fns: dict[str, Callable[[], object]], *, number: int, repeat: int) -> dict[str, float]:
    """Like :func:`per_call_ns` for several functions measured side by side: each round times one
    batch of each in turn (starting with the next one each round), so a change of load during the
    run hits them alike; medians per name."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for round_no in range(repeat):
        shift = round_no % len(names)  # each takes its turn at going first
        for name in names[shift:] + names[:shift]:
            fn = fns[name]
            start = time.perf_counter_ns()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter_ns() - start) / number)
    return {name: round(statistics.median(values), 1) for name, values in samples.items()}


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
