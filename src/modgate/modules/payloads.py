"""A binding's payload checked as the bus will check it at the first click (normalize, schema, check)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from modgate.errors import ModgateError
from modgate.host.model import CommandSpec

_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def _payload_validator(command: CommandSpec) -> Any:
    # Keyed by the schema object's id; the cached tuple keeps the schema alive, and the identity
    # check guards against a recycled id.
    schema = command.payload_schema
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, jsonschema_rs.validator_for(schema))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def payload_problem(command: CommandSpec, payload: Any) -> str | None:
    """Why ``payload`` would be refused by the bus (normalize, schema, check), or None."""
    try:
        value = command.normalize(payload) if command.normalize is not None else payload
        validator = _payload_validator(command)
        error = None if validator.is_valid(value) else next(iter(validator.iter_errors(value)), None)
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
            return f"{error.message} (at payload{where})"
        if command.check is not None:
            command.check(value, None)
    except ModgateError as exc:
        return exc.message
    except Exception as exc:  # a host normalizer/check must not turn bad input into a traceback
        return f"the command's payload check failed ({type(exc).__name__})"
    return None
