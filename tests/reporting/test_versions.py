"""Every record the pack shows is listed with the version it was read at."""

from __future__ import annotations

from services.reporting.versions import record_versions


def test_each_record_is_named_with_its_version_once() -> None:
    data = {
        "programmes": {
            "items": [
                {
                    "id": "2",
                    "version": 4,
                    "sao": {"id": "9", "name": "no version: a person is not a figure"},
                    "latestHighlightReport": {"id": "7", "version": 3, "dca": "Amber"},
                    "previousHighlightReport": {"id": "6", "version": 1},
                    "risks": [{"id": "11", "version": 2}],
                    "kpis": [{"id": "3", "version": 1, "latest": {"id": "40", "revision": 2}}],
                }
            ]
        },
        "escalatedRisks": [{"id": "11", "version": 2, "programme": {"id": "2"}}],
        "savingsInitiatives": {"items": [{"id": "5", "version": 6}]},
        "boards": None,
    }
    assert record_versions(data) == {
        "highlight_report": {"6": 1, "7": 3},
        "kpi": {"3": 1},
        "kpi_value": {"40": 2},
        "programme": {"2": 4},
        "risk": {"11": 2},
        "savings_initiative": {"5": 6},
    }
