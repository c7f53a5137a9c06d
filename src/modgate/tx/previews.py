"""``tx-preview/v1``: a deterministic, hashable preview of a change (task 256).

The entries come from our own keyed diff: objects are compared key by key (recursively), so a
change to ``/local/tool/penColor`` is one ``replace`` entry, not an array-index patch; arrays
and scalars are compared as whole values. Entries are sorted by scope, entityType, entityId,
path, op, seq; every entry states ``before`` and ``after`` explicitly (null when absent);
``previewHash`` is the sha256 of the RFC 8785 canonical JSON of the envelope without the hash.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from modgate.roles import PREVIEW_ROLES
from modgate.state import MISSING, JsonObject, Op, ancestors, apply_ops, escape_token, get_path, split_pointer
from modgate.strictjson import canonical_bytes, sha256_hex

SCHEMA_VERSION = "tx-preview/v1"
ROLES = PREVIEW_ROLES
SECRET_MARKERS = ("secret", "token", "password", "apikey", "api_key", "credential")
REDACTED = "[redacted]"


def diff(before: Any, after: Any, path: str = "") -> list[tuple[str, str, Any, Any]]:
    """Keyed diff → ``(op, path, before, after)``; MISSING marks an absent side."""
    if before is after:
        return []  # copy-on-write states share unchanged subtrees: the common case is free
    if before is MISSING:
        return [("add", path, MISSING, after)]
    if after is MISSING:
        return [("remove", path, before, MISSING)]
    if isinstance(before, dict) and isinstance(after, dict):
        changed = [k for k, v in before.items() if not _same(v, after.get(k, MISSING))]
        changed.extend(k for k in after if k not in before)
        out: list[tuple[str, str, Any, Any]] = []
        for key in sorted(changed):  # sorted: equal content gives equal output whatever the key order
            out.extend(diff(before.get(key, MISSING), after.get(key, MISSING), f"{path}/{escape_token(key)}"))
        return out
    if _same(before, after):
        return []
    return [("replace", path, before, after)]


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``1``, ``1.0`` and ``true`` differ although Python's ``==`` says equal."""
    if a is b:
        return True
    if type(a) is not type(b) or isinstance(a, dict):
        return False  # dicts: let diff descend and report only what really changed
    if isinstance(a, list):
        return bool(a == b) and orjson.dumps(a) == orjson.dumps(b)
    return bool(a == b)


def diff_states(before: JsonObject, after: JsonObject, paths: Iterable[str]) -> list[tuple[str, str, Any, Any]]:
    """Diff only under the written ``paths`` (each once; a path under another written one is covered)."""
    unique = set(paths)
    roots = sorted(p for p in unique if not ancestors(p) & unique)
    out: list[tuple[str, str, Any, Any]] = []
    for root in roots:
        out.extend(diff(get_path(before, root), get_path(after, root), root))
    return out


def _whole_array_root(state: JsonObject, path: str) -> str:
    """The path cut at its first array: ops are deltas inside arrays, previews show arrays whole."""
    node: Any = state
    kept: list[str] = []
    for token in split_pointer(path):
        if isinstance(node, list):
            break
        kept.append(escape_token(token))
        node = node.get(token, MISSING) if isinstance(node, dict) else MISSING
    return "/" + "/".join(kept) if kept else ""


def _entity(path: str) -> tuple[str, str, str]:
    tokens = split_pointer(path)
    scope = tokens[0] if tokens else ""
    if scope == "registry" and len(tokens) >= 3:
        return scope, "module", tokens[2]
    entity_type = tokens[1] if len(tokens) > 1 else scope
    entity_id = tokens[2] if len(tokens) > 2 else entity_type
    return scope, entity_type, entity_id


def _is_secret(path: str) -> bool:
    lowered = path.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def redact(value: Any, path: str, force: bool = False) -> tuple[Any, bool]:
    """The value as a non-host role sees it: secret-looking leaves replaced, shape kept."""
    secret = force or _is_secret(path)
    if isinstance(value, dict):
        pairs = [(k, redact(v, f"{path}/{k}", secret)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, any(r for _, (_, r) in pairs)
    if isinstance(value, list):
        items = [redact(v, f"{path}/{i}", secret) for i, v in enumerate(value)]
        return [v for v, _ in items], any(r for _, r in items)
    if secret and value is not None:
        return REDACTED, True
    return value, False


def _may_hold_secret(path: str, before: Any, after: Any) -> bool:
    """Cheap screen: only values whose path or keys mention a secret marker need the redactor."""
    if _is_secret(path):
        return True
    if not isinstance(before, (dict, list)) and not isinstance(after, (dict, list)):
        return False
    text = orjson.dumps([before, after]).lower()
    return any(marker.encode() in text for marker in SECRET_MARKERS)


def _role_views(path: str, before: Any, after: Any, screened: bool = False) -> JsonObject:
    """``screened``: the caller has already checked that no secret marker occurs anywhere."""
    plain = {"before": before, "after": after, "redacted": False}
    if screened or not _may_hold_secret(path, before, after):
        return dict.fromkeys(ROLES, plain)  # one shared, never-mutated view
    b, rb = redact(before, path)
    a, ra = redact(after, path)
    shown = {"before": b, "after": a, "redacted": rb or ra}
    return {role: dict(plain) if role == "host" else dict(shown) for role in ROLES}


def entries_for(before: JsonObject, ops: Sequence[Op]) -> list[JsonObject]:
    after = apply_ops(before, ops)
    roots = [_whole_array_root(before, op.path) for op in ops]
    raw = [(op, path, None if old is MISSING else old, None if new is MISSING else new)
           for op, path, old, new in diff_states(before, after, roots)]
    # One screen over every path and value (one C call); only a hit needs the per-entry check.
    text = orjson.dumps([(path, old, new) for _, path, old, new in raw]).decode().lower()
    screened = not any(marker in text for marker in SECRET_MARKERS)
    entries = []
    for seq, (op, path, old, new) in enumerate(raw, start=1):
        scope, entity_type, entity_id = _entity(path)
        entries.append({"seq": seq, "scope": scope, "entityType": entity_type, "entityId": entity_id,
                        "path": path, "op": op, "before": old, "after": new,
                        "roleViews": _role_views(path, old, new, screened)})
    entries.sort(key=lambda e: (e["scope"], e["entityType"], e["entityId"], e["path"], e["op"], e["seq"]))
    return entries


def build_preview(*, tx_id: str, attempt_no: int, track: str, base_revision: str, candidate_revision: str,
                  generated_at: str, before: JsonObject, ops: Sequence[Op]) -> JsonObject:
    entries = entries_for(before, ops)
    summary = {"add": 0, "remove": 0, "replace": 0, "move": 0}
    for entry in entries:
        summary[entry["op"]] += 1
    envelope: JsonObject = {
        "schemaVersion": SCHEMA_VERSION, "txId": tx_id, "attemptNo": attempt_no, "track": track,
        "baseRevision": base_revision, "candidateRevision": candidate_revision, "generatedAt": generated_at,
        "entries": entries, "summary": summary,
    }
    envelope["previewHash"] = preview_hash(envelope)
    return envelope


def preview_hash(envelope: JsonObject) -> str:
    body = {k: v for k, v in envelope.items() if k != "previewHash"}
    return "sha256:" + sha256_hex(body)


def canonical(envelope: JsonObject) -> bytes:
    return canonical_bytes(envelope)


def compact(preview: JsonObject) -> JsonObject:
    """The preview as stored: an entry's role views are dropped when they are the plain ones
    (every role sees before/after unredacted), which :func:`expand` rebuilds exactly. A 5 MiB
    value was otherwise stored four times in one preview."""
    entries = []
    for entry in preview["entries"]:
        views = entry["roleViews"]
        plain = {"before": entry["before"], "after": entry["after"], "redacted": False}
        entries.append({**entry, "roleViews": None} if all(views[r] == plain for r in ROLES) else entry)
    return {**preview, "entries": entries}


def expand(stored: JsonObject) -> JsonObject:
    """The full tx-preview/v1 envelope from :func:`compact`'s form (or an older full one)."""
    for entry in stored.get("entries", []):
        if entry.get("roleViews") is None:
            plain = {"before": entry["before"], "after": entry["after"], "redacted": False}
            entry["roleViews"] = {role: dict(plain) for role in ROLES}
    return stored
