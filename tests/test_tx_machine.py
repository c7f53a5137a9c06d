from __future__ import annotations

import itertools

import pytest

from modgate.errors import ModgateError
from modgate.tx import machine as m


def test_allowed_path() -> None:
    path = [m.RECEIVED, m.PREVIEWING, m.PREVIEW_READY, m.APPROVAL_PENDING, m.APPROVED, m.APPLYING, m.APPLIED,
            m.ROLLBACK_PENDING, m.ROLLED_BACK]
    for a, b in itertools.pairwise(path):
        m.check_transition(a, b)


@pytest.mark.parametrize(("a", "b"), [(m.RECEIVED, m.APPLIED), (m.APPROVAL_PENDING, m.APPLYING),
                                      (m.PREVIEW_READY, m.APPROVED), (m.APPLIED, m.ROLLED_BACK),
                                      (m.ROLLED_BACK, m.APPLIED), (m.REJECTED, m.APPROVED)])
def test_refused(a: str, b: str) -> None:
    with pytest.raises(ModgateError) as info:
        m.check_transition(a, b, "tx-1")
    assert info.value.code == "tx-invalid-transition"


def test_never_applying_without_approval() -> None:
    sources = {a for a, targets in m.TRANSITIONS.items() if m.APPLYING in targets}
    assert sources == {m.APPROVED}


def test_terminal_states_have_no_exit() -> None:
    assert all(not m.TRANSITIONS[s] for s in m.TERMINAL)
