"""Approval tokens: HMAC-SHA256-signed claims binding an approval to one exact preview.

A token names txId, attemptNo, previewHash and baseRevision and expires; apply accepts it only
when every claim matches the attempt being applied, so approving preview A can never apply
preview B. The signing key lives in MODGATE_HOME (mode 0600); this module is pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

from modgate.errors import ModgateError, Problem


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(claims: dict[str, Any], key: bytes) -> str:
    body = orjson.dumps(claims, option=orjson.OPT_SORT_KEYS)
    mac = hmac.new(key, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def _invalid(message: str) -> ModgateError:
    return ModgateError(Problem(code="tx-token-invalid", path="approvalToken", message=message))


def verify(token: str, key: bytes) -> dict[str, Any]:
    """Claims of a token whose signature checks out; ``tx-token-invalid`` otherwise."""
    try:
        body_text, mac_text = token.split(".")
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (ValueError, TypeError) as exc:
        raise _invalid("the approval token is malformed") from exc
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
        raise _invalid("the approval token's signature does not verify")
    claims: dict[str, Any] = orjson.loads(body)
    return claims


def check_claims(claims: dict[str, Any], *, tx_id: str, attempt_no: int, preview_hash: str,
                 base_revision: str) -> None:
    expected = {"txId": tx_id, "attemptNo": attempt_no, "previewHash": preview_hash, "baseRevision": base_revision}
    for key, value in expected.items():
        if claims.get(key) != value:
            raise ModgateError(Problem(
                code="tx-token-mismatch", path=f"approvalToken.{key}",
                message=f"the approval was given for {key}={claims.get(key)!r}, not {value!r}",
                detail={"claim": key}))
