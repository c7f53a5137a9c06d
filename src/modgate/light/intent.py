"""``light.intent.v1``: normalisation (4 rules) and the G0/G1 checks (6 validation rules). Pure.

Normalisation: (1) text fields sanitised (NFKC, single spaces, trimmed); (2) entity aliases
canonicalised to the host's ids; (3) ``entities``, ``deviceTargets``, ``policyLocks`` (and
``must``/``mustNot``) sorted and de-duplicated, base policy locks always present; (4) ``rawText``
kept for audit and never used to plan a change.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from modgate.light import failures as f
from modgate.light.failures import Failure
from modgate.light.parser import BASE_LOCKS, LAYOUT_LOCKS, SCHEMA
from modgate.light.text import code_like, sanitize
from modgate.light.vocab import LightVocabulary

SURFACES = ("layout", "behavior", "content", "style", "mixed")
DEVICES = ("web", "tablet", "mobile")
_REQUIRED: dict[str, Any] = {
    "schemaVersion": str, "intentId": str, "createdAt": str,
    "actor": {"role": str, "mode": str, "locale": str},
    "request": {"rawText": str, "normalizedText": str, "goalSummary": str},
    "targets": {"surface": str, "entities": list},
    "constraints": {"must": list, "mustNot": list, "deviceTargets": list, "policyLocks": list},
    "successCriteria": {"checks": list},
    "safety": {"denyByDefault": bool, "requiresApproval": bool, "rawCodeExposure": bool},
    "confidence": (int, float),
}


def missing_fields(value: Any, shape: dict[str, Any] = _REQUIRED, prefix: str = "") -> list[str]:
    """Rule 1: required fields that are missing, null or of the wrong type."""
    if not isinstance(value, dict):
        return [prefix or "intent"]
    out: list[str] = []
    for key, kind in shape.items():
        name = f"{prefix}{key}"
        got = value.get(key)
        if isinstance(kind, dict):
            out.extend(missing_fields(got, kind, name + "."))
        elif got is None or not isinstance(got, kind) or (kind is not bool and isinstance(got, bool)):
            out.append(name)
    return out


def _canonical(entity: str, vocab: LightVocabulary) -> str:
    key = entity.strip().lower().replace("-", " ").replace("_", " ")
    for canonical, words in vocab.entities.items():
        if key == canonical.replace("_", " ") or key in words:
            return canonical
    return entity.strip()


def _strings(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    return sorted({clean for v in values if isinstance(v, str) and (clean := sanitize(v))})


def normalize(intent: dict[str, Any], vocab: LightVocabulary) -> dict[str, Any]:
    """The four normalisation rules; returns a new intent (the input is not touched)."""
    try:  # a JSON round trip is the fast deep copy; anything not JSON falls back to deepcopy
        out: dict[str, Any] = orjson.loads(orjson.dumps(intent))
    except (TypeError, orjson.JSONEncodeError):
        out = copy.deepcopy(intent)
    request, targets, constraints = out.get("request"), out.get("targets"), out.get("constraints")
    if isinstance(request, dict):
        for key in ("normalizedText", "goalSummary"):
            if isinstance(request.get(key), str):
                request[key] = sanitize(request[key])
    if isinstance(targets, dict) and isinstance(targets.get("entities"), list):
        targets["entities"] = sorted({_canonical(e, vocab) for e in targets["entities"] if isinstance(e, str)})
    if isinstance(constraints, dict):
        for key in ("must", "mustNot", "deviceTargets"):
            if isinstance(constraints.get(key), list):
                constraints[key] = _strings(constraints[key])
        locks = set(_strings(constraints.get("policyLocks", [])) or []) | set(BASE_LOCKS)
        metrics = _list(_obj(out.get("successCriteria")).get("metrics"))
        if any(isinstance(m, dict) and str(m.get("metric", "")).startswith("layout.") for m in metrics):
            locks |= set(LAYOUT_LOCKS)
        constraints["policyLocks"] = sorted(locks)
    return out


def check_role(intent: dict[str, Any]) -> Failure | None:
    """G0 (rule 2)."""
    actor = intent.get("actor") if isinstance(intent, dict) else None
    if not isinstance(actor, dict) or actor.get("role") != "light_user" or actor.get("mode") != "light":
        return Failure(code=f.E_ROLE_MODE_INVALID, gate="G0_ROLE_MODE_CHECK",
                       message="These changes are made in the light mode by a light user. Switch to light mode"
                               " to ask for them.", detail={"actor": actor if isinstance(actor, dict) else None})
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _visible_text(intent: dict[str, Any]) -> list[str]:
    request, crit, cons = (_obj(intent.get(k)) for k in ("request", "successCriteria", "constraints"))
    texts = [request.get("rawText"), request.get("normalizedText"), request.get("goalSummary"),
             *_list(crit.get("checks")), *_list(cons.get("must")), *_list(cons.get("mustNot")),
             *_list(intent.get("clarifications"))]
    return [t for t in texts if isinstance(t, str)]


def check_schema(intent: dict[str, Any], vocab: LightVocabulary) -> Failure | None:
    """G1: rules 1, 3, 4, 5, 6 plus the enums of the schema."""
    gate = "G1_INTENT_SCHEMA_CHECK"
    if any(code_like(t) for t in _visible_text(intent)):
        return Failure(code=f.E_POLICY_DENIED, gate=gate, message="Requests cannot contain program code or"
                       " scripts. Describe the change in your own words instead.", detail={"rule": 6})
    missing = missing_fields(intent)
    if missing:
        return Failure(code=f.E_INTENT_REQUIRED_FIELD_MISSING, gate=gate, message="Some of the request is"
                       " missing. Tell me what you would like to change.", detail={"missing": missing, "rule": 1})
    safety = intent["safety"]
    if safety["denyByDefault"] is not True or safety["requiresApproval"] is not True or safety["rawCodeExposure"]:
        return Failure(code=f.E_POLICY_DENIED, gate=gate, message="Every change needs your approval and stays"
                       " within the safety rules; that cannot be switched off.", detail={"rule": 3})
    problem = _enums(intent)
    if problem:
        return Failure(code=f.E_INTENT_REQUIRED_FIELD_MISSING, gate=gate, message="Part of the request could not"
                       " be read. Tell me again what you would like to change.", detail={"field": problem})
    if not intent["request"]["normalizedText"]:
        return Failure(code=f.E_INTENT_REQUIRED_FIELD_MISSING, gate=gate, message="The request is empty. Tell me"
                       " what you would like to change.", detail={"rule": 4})
    clash = sorted(set(intent["constraints"]["must"]) & set(intent["constraints"]["mustNot"]))
    if clash:
        entity = clash[0].split(" ", 1)[-1]
        return Failure(code=f.E_INTENT_CONSTRAINT_CONFLICT, gate=gate, message="You asked to change the"
                       f" {_entity_words(entity, vocab)} and also not to change it. Which do you want?",
                       metric=_entity_metric(intent, entity), detail={"conflict": clash, "rule": 5})
    return None


def _enums(intent: dict[str, Any]) -> str | None:
    if intent["schemaVersion"] != SCHEMA:
        return "schemaVersion"
    if intent["targets"]["surface"] not in SURFACES:
        return "targets.surface"
    if any(d not in DEVICES for d in intent["constraints"]["deviceTargets"]):
        return "constraints.deviceTargets"
    if not 0 <= intent["confidence"] <= 1:
        return "confidence"
    for optional in ("notes", "clarifications"):
        if optional in intent and not (isinstance(intent[optional], list)
                                       and all(isinstance(n, str) for n in intent[optional])):
            return optional
    metrics = intent["successCriteria"].get("metrics", [])
    if not isinstance(metrics, list) or any(not isinstance(m, dict) or not isinstance(m.get("metric"), str)
                                            or not isinstance(m.get("operator"), str) for m in metrics):
        return "successCriteria.metrics"
    return None


def _entity_words(entity: str, vocab: LightVocabulary) -> str:
    words = vocab.entities.get(entity)
    return words[0] if words else entity.replace("_", " ")


def _entity_metric(intent: dict[str, Any], entity: str) -> str | None:
    from modgate.light.grammar import LAYOUT_KEY

    for metric in intent["successCriteria"].get("metrics", []):
        if metric["metric"].endswith(entity) or metric["metric"] == f"layout.{LAYOUT_KEY.get(entity, '')}":
            return str(metric["metric"])
    return f"layout.{LAYOUT_KEY[entity]}" if entity in LAYOUT_KEY else None
