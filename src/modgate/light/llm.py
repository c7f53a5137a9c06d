"""Optional LLM parser (``--parser llm``, extra ``llm``): an OpenAI-compatible chat endpoint via httpx.

``MODGATE_LLM_URL`` (base URL; ``/chat/completions`` is appended), ``MODGATE_LLM_MODEL`` and
``MODGATE_LLM_API_KEY`` (sent as a bearer token, never logged or stored). The model is asked for
one JSON object in the ``light.intent.v1`` shape; whatever it returns passes the very same gates.
The ids, time, actor and safety flags are always ours, never the model's.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

from modgate.errors import ModgateError
from modgate.light.text import sanitize, sanitize_raw
from modgate.light.vocab import LightVocabulary

MAX_BYTES = 256 * 1024
TIMEOUT_S = 30.0


def _system_prompt(vocab: LightVocabulary) -> str:
    prefs = ", ".join(f"{p.key} ({p.label})" for p in vocab.prefs)
    layout = ", ".join(f"layout.{f.key}: {'|'.join(f.values)}" for f in vocab.layout)
    actions = ", ".join(a.name for a in vocab.shortcut_actions)
    return ("Turn the teacher's request into ONE JSON object of schema light.intent.v1 with keys request"
            " {normalizedText, goalSummary}, targets {surface: style|behavior|layout|content|mixed, entities},"
            " constraints {must, mustNot, deviceTargets ⊆ [web, tablet, mobile], policyLocks}, successCriteria"
            " {checks, metrics: [{metric, operator, value}]}, confidence 0..1. operator is =, increase,"
            " decrease, multiply or ask. Metrics are preference keys: " + prefs + "; " + layout +
            "; shortcut.add {action, slot}, shortcut.remove {action}, shortcut.rename {action, label} with"
            f" action one of {actions}; reset (value: an entity or all); light.undo; light.changes; denied"
            " (value: code|approvals|roles|content). Colours are #RRGGBB. Answer with JSON only.")


def _config() -> tuple[str, str, str]:
    url, model = os.environ.get("MODGATE_LLM_URL", ""), os.environ.get("MODGATE_LLM_MODEL", "")
    if not url or not model:
        raise ModgateError.make("light-llm-not-configured", "set MODGATE_LLM_URL and MODGATE_LLM_MODEL to use"
                                " --parser llm", "parser")
    return url.rstrip("/") + "/chat/completions", model, os.environ.get("MODGATE_LLM_API_KEY", "")


def _ask(text: str, vocab: LightVocabulary) -> Any:
    try:
        import httpx
    except ImportError as exc:
        raise ModgateError.make("light-llm-not-configured", "--parser llm needs the extra: pip install"
                                " 'modgate[llm]'", "parser") from exc
    url, model, key = _config()
    body = {"model": model, "temperature": 0, "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": _system_prompt(vocab)}, {"role": "user", "content": text}]}
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with httpx.Client(timeout=TIMEOUT_S, follow_redirects=False) as client:
            reply = client.post(url, json=body, headers=headers)
        raw = reply.content[:MAX_BYTES]
        if reply.status_code != 200:
            raise ModgateError.make("light-llm-failed", f"the model endpoint answered HTTP {reply.status_code}",
                                    "parser", status=reply.status_code)
        content = orjson.loads(raw)["choices"][0]["message"]["content"]
        return orjson.loads(content)
    except httpx.HTTPError as exc:
        raise ModgateError.make("light-llm-failed", f"the model endpoint could not be reached"
                                f" ({type(exc).__name__})", "parser") from exc
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise ModgateError.make("light-llm-failed", "the model's answer was not a JSON intent", "parser") from exc


def parse_llm(text: str, vocab: LightVocabulary, *, intent_id: str, created_at: str, locale: str = "en-US",
              devices: tuple[str, ...] = ()) -> dict[str, Any]:
    got = _ask(sanitize(text)[:2000], vocab)
    intent: dict[str, Any] = got if isinstance(got, dict) else {}
    request: dict[str, Any] = intent["request"] if isinstance(intent.get("request"), dict) else {}
    constraints: dict[str, Any] = intent["constraints"] if isinstance(intent.get("constraints"), dict) else {}
    named: list[Any] = constraints["deviceTargets"] if isinstance(constraints.get("deviceTargets"), list) else []
    intent.update({
        "schemaVersion": "light.intent.v1", "intentId": intent_id, "createdAt": created_at,
        "actor": {"role": "light_user", "mode": "light", "locale": locale},
        "request": {**request, "rawText": sanitize_raw(text)},
        "constraints": {**constraints, "deviceTargets": sorted({*map(str, named), *devices})},
        "safety": {"denyByDefault": True, "requiresApproval": True, "rawCodeExposure": False},
    })
    notes = intent.get("notes")
    intent["notes"] = [*(n for n in notes if isinstance(n, str)), "parsed by a language model"] if isinstance(
        notes, list) else ["parsed by a language model"]
    return intent
