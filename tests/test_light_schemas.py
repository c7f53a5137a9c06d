"""The eight published light schemas: well-formed, shipped, and every artifact the pipeline makes fits them."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from tests.light_corpus import load

from modgate.app import open_runtime
from modgate.light.service import LightService

NAMES = ("light.intent.v1", "manifest.draft.v1", "policy.draft.v1", "dryrun.report.v1", "preview.diff.v1",
         "apply.request.v1", "correction.prompt.v1", "escalation.packet.v1")


def schema(name: str) -> Any:
    text = resources.files("modgate.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    return jsonschema_rs.validator_for(json.loads(text))


VALIDATORS = {name: schema(name) for name in NAMES}
ARTIFACT_SCHEMA = {"intent.normalized.v1": "light.intent.v1"}


def _check(name: str, document: Any) -> None:
    errors = [e.message for e in VALIDATORS[name].iter_errors(document)]
    assert not errors, (name, errors[:3])


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_shipped_and_valid(name: str) -> None:
    text = resources.files("modgate.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    assert json.loads(text)["$id"].endswith(f"{name}.schema.json")


def test_every_artifact_of_the_corpus_fits_its_schema(modgate_home: Path) -> None:
    rt = open_runtime(modgate_home)
    try:
        svc = LightService(rt)
        seen: set[str] = set()
        for case in load():
            out = svc.propose(case.text)
            if out["code"] == "approval-pending" and "apply.request.v1" not in seen:
                rt.approvals.approve(out["txId"], "host")
            for name, document in svc.artifacts(out["intentId"]).items():
                _check(ARTIFACT_SCHEMA.get(name, name), document)
                seen.add(name)
            if out.get("correction"):
                _check("correction.prompt.v1", out["correction"])
                seen.add("correction.prompt.v1")
        blocked = svc.propose("make it nicer")
        for _ in range(3):
            blocked = svc.answer(blocked["intentId"], text="hmm")
        _check("escalation.packet.v1", blocked["escalation"])
        seen.add("escalation.packet.v1")
        assert seen >= set(NAMES) - {"light.intent.v1"} | {"intent.normalized.v1"}
    finally:
        rt.close()
