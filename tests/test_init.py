from __future__ import annotations

import modgate


def test_all_is_sorted_and_complete() -> None:
    assert modgate.__all__ == sorted(modgate.__all__)
    assert set(modgate.__all__) == {*modgate._EXPORTS, "__version__"}
    for name in modgate.__all__:
        assert getattr(modgate, name) is not None


def test_unknown_attribute() -> None:
    import pytest

    with pytest.raises(AttributeError):
        modgate.nope  # noqa: B018
