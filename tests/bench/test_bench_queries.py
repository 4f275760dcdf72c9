"""The benchmark's queries stay valid against the composed graph, so the benchmark cannot rot
unnoticed between the runs that time it."""

from __future__ import annotations

import importlib.util

import pytest

from services.stack import ROOT
from tests.support.graphql import invalid_against_supergraph


def bench_module(name: str = "bench_stack"):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["ONE", "CROSSING"])
def test_bench_query_is_valid_against_the_supergraph(name: str) -> None:
    assert invalid_against_supergraph(getattr(bench_module(), name)) == []


def test_fault_suite_queries_are_valid_against_the_supergraph() -> None:
    """The ordinary query must be valid, and the abuse queries refused by limits, not typos."""
    faults = bench_module("faults")
    for query in (faults.ORDINARY, *faults.ABUSE.values()):
        assert invalid_against_supergraph(query) == []
