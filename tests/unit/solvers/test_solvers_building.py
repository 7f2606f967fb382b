"""gc_paused: the collector is off while a builder runs and back as it was afterwards."""

import gc

import pytest

from solvers import gc_paused


def test_the_collector_is_paused_during_the_build_and_restored_after():
    seen = []

    @gc_paused
    def build(x, *, y):
        seen.append(gc.isenabled())
        return x + y

    assert gc.isenabled()
    assert build(1, y=2) == 3
    assert seen == [False]
    assert gc.isenabled()
    assert build.__name__ == "build"


def test_an_error_in_the_build_still_restores_the_collector():
    @gc_paused
    def build():
        raise ValueError("bad instance")

    with pytest.raises(ValueError, match="bad instance"):
        build()
    assert gc.isenabled()


def test_a_paused_caller_stays_paused():
    @gc_paused
    def build():
        return gc.isenabled()

    gc.disable()
    try:
        assert build() is False
        assert not gc.isenabled()
    finally:
        gc.enable()
