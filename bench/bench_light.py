"""Light-track figures (modgate.light, seed 003).

* ``light.parse_per_s``: text → validated intent, in-process: the offline parser, the four
  normalisation rules and the G0/G1 checks, over every request of the corpus
  (tests/fixtures/light/corpus.txt). Target >= 2,000 per second.
* ``light.propose_ms``: text → stored pending transaction with all artifacts (gates G0-G5 with the
  dry-run through the board's commands, the tx-preview/v1, the intent row and the audit events), one
  warm process, on a fresh home; requests that reach the approval gate, median. Target <= 25 ms.
* ``light.parse_cpu_per_s``: the same rate in CPU time of this process (a busy shared machine
  slows the wall-clock figure, not this one); ``light.load_avg_1m``: the load while measuring.
* ``light.corpus_size``: how many requests the parse figure ran over.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "light" / "corpus.txt"
PENDING = ("make my pen red", "make the pen thicker", "more room to write on my tablet",
           "add an eraser button to the top bar", "set the auto-play delay to 2 seconds", "use the highlighter",
           "make the laser green", "put the toolbar on the left", "turn on autoplay", "make the eraser bigger")


def texts() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.split(" || ")[0] for line in lines if line.strip() and not line.startswith("#")]


def _parse_rate(corpus: list[str], rounds: int) -> tuple[float, float]:
    """(wall-clock rate, CPU-time rate) of the median round: the second does not move with the load."""
    from modgate.host.board_light import board_light
    from modgate.light.intent import check_role, check_schema, normalize
    from modgate.light.parser import parse

    vocab = board_light()
    rates, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        for text in corpus:
            intent = normalize(parse(text, vocab, intent_id="bench", created_at="2026-01-01T00:00:00Z"), vocab)
            check_role(intent) or check_schema(intent, vocab)
        rates.append(len(corpus) / (time.perf_counter() - started))
        cpu.append(len(corpus) / max(time.process_time() - used, 1e-9))
    return sorted(rates)[len(rates) // 2], sorted(cpu)[len(cpu) // 2]


def _propose_ms(count: int) -> float:
    from modgate.app import open_runtime
    from modgate.light.service import LightService

    with tempfile.TemporaryDirectory() as home:
        rt = open_runtime(home)
        try:
            svc = LightService(rt)
            for text in PENDING:  # warm: lexicon, payload and package schemas, caches
                svc.propose(text)
            times = []
            for i in range(count):
                started = time.perf_counter()
                out = svc.propose(PENDING[i % len(PENDING)])
                times.append((time.perf_counter() - started) * 1000)
                assert out["code"] == "approval-pending", out["code"]
            times.sort()
            return round(times[len(times) // 2], 2)
        finally:
            rt.close()


def run(quick: bool) -> dict[str, Any]:
    corpus = texts()
    wall, cpu = _parse_rate(corpus, 5 if quick else 15)
    return {"light": {
        "parse_per_s": round(wall),
        "parse_cpu_per_s": round(cpu),
        "propose_ms": _propose_ms(30 if quick else 100),
        "corpus_size": len(corpus),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }}
