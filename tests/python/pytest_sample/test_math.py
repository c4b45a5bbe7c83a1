"""A tiny pytest suite whose JUnit XML brickci must read: one pass, one failure, one skip."""

import pytest


def test_add():
    assert 1 + 1 == 2


def test_div():
    assert 1 / 2 == 0.25, "half is not a quarter"


@pytest.mark.skip(reason="not on this runtime")
def test_later():
    pass
