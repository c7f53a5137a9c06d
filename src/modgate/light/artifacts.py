"""The artifacts of seed 003 as plain JSON: drafts, dry-run report, diff, apply request. Pure.

Ids are derived from content (sha256 of canonical JSON), so the same request on the same state
gives the same artifacts in every process; the diff's ``changes`` are sorted by ``path`` as plain
code-point strings and hold no entry for a value that is already so.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from modgate.light.resolve import Change
from modgate.state import MISSING, JsonObject, get_path


def content_id(prefix: str, *parts: Any) -> str:
    digest = hashlib.sha256(orjson.dumps(list(parts), option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"{prefix}-{digest[:16]}"


def same(a: Any, b: Any) -> bool:
    """JSON equality (``1`` equals ``1.0``; ``true`` is not ``1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return bool(orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS))


def manifest_draft(intent: JsonObject, host_id: str, metrics: list[JsonObject], package: JsonObject | None
                   ) -> JsonObject:
    return {"schemaVersion": "manifest.draft.v1", "manifestId": content_id("manifest", intent["intentId"], metrics),
            "intentId": intent["intentId"], "hostId": host_id, "requested": metrics, "shortcutsPackage": package}


def policy_draft(intent: JsonObject, pointers: list[str]) -> JsonObject:
    return {"schemaVersion": "policy.draft.v1", "policyId": content_id("policy", intent["intentId"], pointers),
            "intentId": intent["intentId"], "role": "light_user", "mode": "light", "denyByDefault": True,
            "requiresApproval": True, "mutationRoute": "command_bus", "transactionTrack": "light",
            "policyLocks": intent["constraints"]["policyLocks"],
            "allow": [{"path": p, "access": "write"} for p in pointers]}


def dryrun_report(intent: JsonObject, status: str, checks: list[JsonObject], warnings: list[str],
                  blocking: list[str]) -> JsonObject:
    return {"schemaVersion": "dryrun.report.v1",
            "dryRunId": content_id("dryrun", intent["intentId"], checks, status), "intentId": intent["intentId"],
            "status": status, "persistentWrites": 0, "checks": checks, "warnings": warnings,
            "blockingIssues": blocking}


def diff_changes(state: JsonObject, changes: list[Change]) -> list[JsonObject]:
    """One entry per changed pointer (the last change to a pointer wins), sorted by path."""
    final: dict[str, Change] = {}
    for change in changes:
        final[change.pointer] = change
    out = []
    for pointer in sorted(final):
        before = get_path(state, pointer)
        after = final[pointer].value
        if before is not MISSING and same(before, after):
            continue
        out.append({"path": pointer, "before": None if before is MISSING else before, "after": after,
                    "reason": final[pointer].reason, "requiresApproval": True})
    return out


def preview_diff(intent: JsonObject, entries: list[JsonObject]) -> JsonObject:
    adds = sum(1 for e in entries if e["before"] is None)
    removes = sum(1 for e in entries if e["after"] is None)
    risky = any(e["path"].startswith("/registry/") for e in entries)
    summary = {"adds": adds, "updates": len(entries) - adds - removes, "removes": removes,
               "riskLevel": "medium" if risky else "low"}
    return {"schemaVersion": "preview.diff.v1", "diffId": content_id("diff", entries), "intentId": intent["intentId"],
            "summary": summary, "changes": entries}


def apply_request(record: JsonObject, tx: JsonObject, approval: JsonObject) -> JsonObject:
    """Emitted only once the transaction was approved (G7)."""
    arts = record["artifacts"]
    return {"schemaVersion": "apply.request.v1",
            "requestId": content_id("apply", record["intentId"], tx["txId"], tx["previewHash"]),
            "intentId": record["intentId"], "txId": tx["txId"], "transactionTrack": "light",
            "previewHash": tx["previewHash"], "approvedBy": approval["actorId"],
            "approvedAt": datetime.fromtimestamp(approval["at"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "manifestId": arts["manifest.draft.v1"]["manifestId"], "policyId": arts["policy.draft.v1"]["policyId"],
            "dryRunId": arts["dryrun.report.v1"]["dryRunId"], "diffId": arts["preview.diff.v1"]["diffId"]}
