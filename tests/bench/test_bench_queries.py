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


def test_pack_bench_is_valid_and_its_data_is_the_scale_it_claims() -> None:
    bench = bench_module("bench_pack")
    assert invalid_against_supergraph(bench.ORDINARY) == []
    plan = bench.plan(10)
    assert len(plan["programmes"]) == 160
    assert sum(len(p["key_activities"]) for p in plan["programmes"]) == 10 * (188 + 64)
    month = bench.month(10)
    codes = {p["code"] for p in plan["programmes"]}
    assert {r["programme_code"] for r in month["highlight_reports"]} == codes
    assert len({i["code"] for i in month["savings"]["initiatives"]}) == 190
    ids = {code: n for n, code in enumerate(sorted(codes), start=1)}
    assert bench.risks_csv(ids).decode().count("\n") == 1 + 160 * bench.RISKS_PER_PROGRAMME
    assert len({k["code"] for k in bench.kpis(10, sorted(codes))}) == 400
