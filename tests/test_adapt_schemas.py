"""responsive.adaptation.v1 and its report validate against the published schemas."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from modgate.adapt import DEVICES, LockRequest, adapt_intent, resolve_layout
from modgate.modules.schemas import load_schema
from modgate.strictjson import sha256_prefixed

ADAPTATION = load_schema("responsive.adaptation.v1.schema.json")
REPORT = load_schema("responsive.adaptation.report.v1.schema.json")
VIEWPORTS = ["320x480", "390x844", "768x1024", "1180x820", "2560x1600", "100x150", "1x1"]
PREFS = [dict(zip(("dataInput", "toolbarAux", "canvas"), combo, strict=True))
         for combo in itertools.product(("auto", "docked", "windowed", "collapsed"), ("auto", "shown", "collapsed"),
                                        ("normal", "maximize"))]


@pytest.fixture
def intent() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(__file__).parent / "fixtures/adapt/intent.normalized.json").read_text())
    return data


def _errors(schema: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in jsonschema_rs.validator_for(schema).iter_errors(doc)]


def test_schemas_are_draft_2020_12_with_ids() -> None:
    for schema in (ADAPTATION, REPORT):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(".schema.json")
        jsonschema_rs.Draft202012Validator(schema)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_outputs_validate(viewport: str) -> None:
    for prefs in PREFS:
        adaptation = resolve_layout({d: prefs for d in DEVICES}, (), viewport)
        doc, report = adaptation.to_dict(), adaptation.report()
        assert not _errors(ADAPTATION, doc), (prefs, _errors(ADAPTATION, doc)[:3])
        assert not _errors(REPORT, report), (prefs, _errors(REPORT, report)[:3])
        # What the schema cannot say: order, matching keys, and the hash of each target's rules.
        assert doc["targets"] == list(DEVICES)
        assert list(doc["resolvedLayoutRules"]) == doc["targets"] == [t["target"] for t in report["targets"]]
        for entry in report["targets"]:
            assert entry["deterministicHash"] == sha256_prefixed(doc["resolvedLayoutRules"][entry["target"]])


def test_blocked_outputs_validate() -> None:
    locks = LockRequest(launcher_visible=False)
    for adaptation in (resolve_layout(None, ["tablet"], locks=locks), resolve_layout(None, ["web"], "1x1"),
                       resolve_layout(None, ["mobile"], locks=LockRequest(touch_target_px=40))):
        assert not _errors(ADAPTATION, adaptation.to_dict())
        assert not _errors(REPORT, adaptation.report())
        assert adaptation.to_dict()["failureCodes"]


def test_an_intent_id_is_carried(intent: dict[str, Any]) -> None:
    adaptation = adapt_intent(intent)
    assert adaptation.to_dict()["intentId"] == adaptation.report()["intentId"] == intent["intentId"]
    assert not _errors(ADAPTATION, adaptation.to_dict())


def test_the_schemas_refuse_a_wrong_document() -> None:
    doc = resolve_layout().to_dict()
    doc["resolutionStatusByTarget"]["web"] = "fine"
    doc["resolvedLayoutRules"]["tablet"]["panels"]["dataInput"]["mode"] = "auto"
    assert len(_errors(ADAPTATION, doc)) >= 2
