"""Numbers in words or digits, with units ("two and a half seconds", "500 px", "twice"). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ONES = {"zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
        "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
        "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1000}
MULTIPLIERS = {"twice": 2.0, "double": 2.0, "doubled": 2.0, "triple": 3.0, "tripled": 3.0, "thrice": 3.0,
               "quadruple": 4.0, "half": 0.5, "halve": 0.5, "halved": 0.5}
UNITS = {"px": "px", "pixel": "px", "pixels": "px", "pt": "px", "point": "px", "points": "px",
         "%": "%", "percent": "%", "pct": "%", "per": "%",
         "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
         "ms": "ms", "millisecond": "ms", "milliseconds": "ms", "x": "x", "times": "x"}
# locale number words (used only with --locale of that language)
LOCALE_NUMBERS: Mapping[str, Mapping[str, int]] = {
    "fr": {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
           "neuf": 9, "dix": 10, "vingt": 20, "cent": 100},
    "es": {"uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
           "nueve": 9, "diez": 10, "veinte": 20, "cien": 100},
    "de": {"eins": 1, "ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "funf": 5, "sechs": 6, "sieben": 7,
           "acht": 8, "neun": 9, "zehn": 10, "zwanzig": 20, "hundert": 100},
}
NUMBER_WORDS = frozenset(ONES) | frozenset(TENS) | frozenset(SCALES) | {"and", "point"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Quantity:
    value: float
    unit: str  # "", px, %, s, ms, x
    multiplier: bool
    start: int
    end: int


def _digit(token: str) -> float | None:
    try:
        return float(token) if token[:1].isdigit() else None
    except ValueError:
        return None


def _word_number(tokens: Sequence[str], i: int, extra: Mapping[str, int]) -> tuple[float, int] | None:
    """A run of number words from ``tokens[i]``: (value, index after the run)."""
    total, current, j, seen = 0.0, 0.0, i, False
    while j < len(tokens):
        t = tokens[j]
        if t in ONES and not (t in ("a", "an") and seen):
            if t in ("a", "an") and not (j + 1 < len(tokens) and tokens[j + 1] in ("half", "hundred", "thousand")):
                break
            current += ONES[t]
        elif t in extra:
            current += extra[t]
        elif t in TENS:
            current += TENS[t]
        elif t in SCALES and seen:
            current = max(current, 1) * SCALES[t]
            if SCALES[t] >= 1000:
                total, current = total + current, 0.0
        elif t == "and" and seen and j + 2 < len(tokens) and tokens[j + 1] == "a" and tokens[j + 2] == "half":
            return total + current + 0.5, j + 3
        elif t == "half" and seen and j > 0 and tokens[j - 1] in ("a", "an") and current == 1:
            return 0.5, j + 1
        elif t == "point" and seen and j + 1 < len(tokens) and (tokens[j + 1] in ONES or _digit(tokens[j + 1])):
            frac = _digit(tokens[j + 1])
            digit = ONES.get(tokens[j + 1], 0) if frac is None else frac
            return total + current + float(f"0.{int(digit)}"), j + 2
        else:
            break
        seen, j = True, j + 1
    return (total + current, j) if seen else None


def quantities(tokens: Sequence[str], locale_words: Mapping[str, int] | None = None) -> list[Quantity]:
    """Every number (with its unit, if the next token is one) in ``tokens``, in order."""
    extra = locale_words or {}
    out: list[Quantity] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in ("half", "quarter") and i + 2 < len(tokens) and tokens[i + 1] in ("a", "an") and \
                tokens[i + 2] in UNITS:  # "half a second"
            value = 0.5 if t == "half" else 0.25
            out.append(Quantity(value=value, unit=UNITS[tokens[i + 2]], multiplier=False, start=i, end=i + 3))
            i += 3
            continue
        if t in MULTIPLIERS:
            out.append(Quantity(value=MULTIPLIERS[t], unit="x", multiplier=True, start=i, end=i + 1))
            i += 1
            continue
        digit = _digit(t)
        found = (digit, i + 1) if digit is not None else _word_number(tokens, i, extra)
        if found is None:
            i += 1
            continue
        value, j = found
        unit = UNITS.get(tokens[j], "") if j < len(tokens) else ""
        if unit == "%" and tokens[j] == "per" and not (j + 1 < len(tokens) and tokens[j + 1] == "cent"):
            unit = ""
        end = j + (2 if unit == "%" and tokens[j] == "per" else 1 if unit else 0)
        multiplier = unit == "x" and tokens[j] == "times"
        out.append(Quantity(value=value, unit=unit, multiplier=multiplier, start=i, end=end))
        i = max(end, i + 1)
    return out
