"""The default parser: offline and deterministic, text → ``light.intent.v1``. Pure.

``parse(text, vocab, intent_id=..., created_at=..., locale=..., devices=...)``: the same text,
devices and locale always give the same intent (``intent_id`` and ``created_at`` are passed in).
Steps: sanitise (rule 1) → tokens with typos repaired → longest-phrase matching against the
host's lexicon → numbers with units → the grammar (:mod:`modgate.light.grammar`) → the intent.
"""

from __future__ import annotations

import re
from typing import Any

from modgate.light import text as tx
from modgate.light.grammar import Reading, read
from modgate.light.lexicon import LOCALE_COLORS, lexicon_for
from modgate.light.numbers import LOCALE_NUMBERS, quantities
from modgate.light.summary import goal_summary, success_checks, surface_of
from modgate.light.vocab import LightVocabulary

SCHEMA = "light.intent.v1"
BASE_LOCKS = ("approval_required", "command_bus_only")
LAYOUT_LOCKS = ("launcher_visible", "touch_target_min_44")
_LABEL = re.compile(r"(?:\b(?:to|as|called|named|saying)"
                    r"|\b(?:button|shortcut)(?!\s+(?:to|as|on|in|at|for|called|named)\b))"
                    r"\s+[\"'“”]?([A-Za-z0-9][A-Za-z0-9 \-]{0,23})")
_LABEL_END = re.compile(r"\s+(?:on|in|at|for|please|pls)\b.*$", re.IGNORECASE)


def _label(clean: str) -> str | None:
    found = _LABEL.findall(clean)
    if not found:
        return None
    label = _LABEL_END.sub("", found[-1]).strip()
    return label[:1].upper() + label[1:] if label else None


def _reading(clean: str, vocab: LightVocabulary, locale: str) -> tuple[Reading, int, str | None]:
    """(reading, typo repairs, language the parser does not know or None)."""
    language = tx.script_language(clean)
    if language is not None:
        return Reading(), 0, language
    lang = locale.split("-")[0].lower()
    extra = {**LOCALE_COLORS.get(lang, {})}
    lex = lexicon_for(vocab)
    tokens, repaired = tx.tokenize(clean, lex, extra)
    numbers = quantities(tokens, LOCALE_NUMBERS.get(lang))
    reading = read(tokens, tx.match(tokens, lex), numbers, vocab, _label(clean))
    foreign = tx.latin_language(tokens)
    if foreign is not None and (lang == "en" or tx.LOCALE_LANGUAGE.get(lang) != foreign) and reading.understood < 2:
        return Reading(), repaired, foreign
    return reading, repaired, None


def _confidence(reading: Reading, repaired: int, language: str | None, too_long: bool) -> float:
    if language is not None or too_long:
        return 0.1
    if not reading.metrics and not reading.must_not:
        return 0.2
    asking = any(m["operator"] == "ask" for m in reading.metrics)
    return round(max(0.55, min(0.95, 0.95 - 0.05 * repaired - (0.15 if asking else 0.0))), 2)


def parse(text: str, vocab: LightVocabulary, *, intent_id: str, created_at: str, locale: str = "en-US",
          devices: tuple[str, ...] = ()) -> dict[str, Any]:
    clean = tx.sanitize(text)
    too_long = len(clean) > tx.MAX_CHARS
    reading, repaired, language = (Reading(), 0, None) if too_long else _reading(clean, vocab, locale)
    notes = [f"language: {language}"] if language else []
    if too_long:
        notes.append(f"too long: {len(clean)} characters (at most {tx.MAX_CHARS})")
    if repaired:
        notes.append(f"typos repaired: {repaired}")
    return build_intent(vocab, reading, raw=text, clean=clean[: tx.MAX_CHARS * 2], intent_id=intent_id,
                        created_at=created_at, locale=locale, devices=devices,
                        confidence=_confidence(reading, repaired, language, too_long), notes=notes)


def build_intent(vocab: LightVocabulary, reading: Reading, *, raw: str, clean: str, intent_id: str,
                 created_at: str, locale: str, devices: tuple[str, ...], confidence: float,
                 notes: list[str]) -> dict[str, Any]:
    layout = any(m["metric"].startswith("layout.") for m in reading.metrics)
    locks = sorted({*BASE_LOCKS, *(LAYOUT_LOCKS if layout else ())})
    intent: dict[str, Any] = {
        "schemaVersion": SCHEMA, "intentId": intent_id, "createdAt": created_at,
        "actor": {"role": "light_user", "mode": "light", "locale": locale},
        "request": {"rawText": tx.sanitize_raw(raw), "normalizedText": clean,
                    "goalSummary": goal_summary(vocab, reading.metrics)},
        "targets": {"surface": surface_of(vocab, reading.metrics), "entities": sorted(reading.entities)},
        "constraints": {"must": sorted(reading.must), "mustNot": sorted(reading.must_not),
                        "deviceTargets": sorted(set(devices) | reading.devices), "policyLocks": locks},
        "successCriteria": {"checks": success_checks(vocab, reading.metrics), "metrics": reading.metrics},
        "safety": {"denyByDefault": True, "requiresApproval": True, "rawCodeExposure": False},
        "confidence": confidence,
    }
    if notes:
        intent["notes"] = notes
    asks = [m for m in reading.metrics if m["operator"] == "ask"]
    if asks:
        intent["clarifications"] = [f"What should {_what(vocab, m['metric'])} be?" for m in asks]
    return intent


def _what(vocab: LightVocabulary, metric: str) -> str:
    from modgate.light.words import setting_words

    if metric.startswith("entity."):
        return "changed about the " + metric.split(".", 1)[1].replace("_", " ")
    return "the " + setting_words(vocab, metric)
