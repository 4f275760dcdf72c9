"""The savings rules as pure functions: money, financial years, lateness and RAG at boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from services.programmes.savings.schemas import (
    RAG,
    SavingsCreate,
    SavingsUpdate,
    check_financial_year,
    financial_year_of,
    money,
)
from services.programmes.savings.service import late_reason, rag

DUE = date(2024, 9, 30)


def judge(
    target: str, forecast: str, delivered: str = "0.00", due: date | None = DUE, as_of: date = DUE
) -> tuple[RAG, str | None]:
    facts: dict[str, Any] = {
        "target": Decimal(target),
        "forecast": Decimal(forecast),
        "delivered": Decimal(delivered),
        "due_date": due,
        "as_of": as_of,
    }
    return rag(**facts), late_reason(**facts)


@pytest.mark.parametrize(
    ("target", "forecast", "expected"),
    [
        ("100.00", "100.00", (RAG.green, None)),  # forecast meets target
        ("100.00", "120.00", (RAG.green, None)),  # over-forecast
        ("100.00", "99.99", (RAG.amber, "forecast below target")),  # a penny short
        ("100.00", "90.00", (RAG.amber, "forecast below target")),  # exactly 10% short
        ("100.00", "89.99", (RAG.red, "forecast below target")),  # beyond 10%
        ("0.00", "0.00", (RAG.green, None)),  # nothing to save
        ("149800000.00", "134820000.00", (RAG.amber, "forecast below target")),  # 90% of £149.8m
        ("149800000.00", "134819999.99", (RAG.red, "forecast below target")),
    ],
)
def test_forecast_against_target(target: str, forecast: str, expected: tuple) -> None:
    assert judge(target, forecast, due=None) == expected


def test_not_late_on_the_due_date_itself() -> None:
    assert judge("100.00", "100.00", delivered="0.00", as_of=DUE) == (RAG.green, None)


def test_late_the_day_after_the_due_date_when_not_delivered() -> None:
    day_after = date(2024, 10, 1)
    assert judge("100.00", "100.00", delivered="99.99", as_of=day_after) == (RAG.red, "overdue")
    # fully delivered by then: on time, whatever the date
    assert judge("100.00", "100.00", delivered="100.00", as_of=day_after) == (RAG.green, None)
    # overdue wins over a forecast shortfall, and makes a small shortfall Red, not Amber
    assert judge("100.00", "95.00", delivered="10.00", as_of=day_after) == (RAG.red, "overdue")


def test_before_the_due_date_only_the_forecast_counts() -> None:
    before = date(2024, 9, 1)
    assert judge("100.00", "100.00", delivered="0.00", as_of=before) == (RAG.green, None)
    assert judge("100.00", "95.00", delivered="0.00", as_of=before) == (
        RAG.amber,
        "forecast below target",
    )


@pytest.mark.parametrize("value", ["2024/25", "1999/00", "2099/00", "2009/10"])
def test_financial_year_accepts(value: str) -> None:
    assert check_financial_year(value) == value


@pytest.mark.parametrize(
    "value", ["2024/26", "2024/24", "2024-25", "24/25", "2024/2025", "2024/5", " 2024/25", "FY24"]
)
def test_financial_year_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="YYYY/YY"):
        check_financial_year(value)


def test_financial_year_of_a_date_runs_april_to_march() -> None:
    assert financial_year_of(date(2025, 3, 31)) == "2024/25"
    assert financial_year_of(date(2025, 4, 1)) == "2025/26"
    assert financial_year_of(date(1999, 12, 31)) == "1999/00"


def test_money_has_exactly_two_places() -> None:
    assert str(money(Decimal("5"))) == "5.00"
    assert str(money(Decimal("1E+3"))) == "1000.00"
    assert str(money(Decimal("-0"))) == "0.00"


def _errors(model: type[pydantic.BaseModel], data: dict) -> set[str]:
    with pytest.raises(pydantic.ValidationError) as caught:
        model.model_validate(data)
    return {str(e["loc"][0]) for e in caught.value.errors()}


def test_schemas_name_the_bad_field() -> None:
    good = {
        "programme_id": 1,
        "code": "S1",
        "title": "t",
        "financial_year": "2024/25",
        "target": "10",
        "forecast": 10.5,
    }
    created = SavingsCreate.model_validate(good)
    assert (str(created.target), str(created.forecast), str(created.delivered)) == (
        "10.00",
        "10.50",
        "0.00",
    )
    assert _errors(SavingsCreate, {**good, "target": "-0.01"}) == {"target"}
    assert _errors(SavingsCreate, {**good, "forecast": "1.005"}) == {"forecast"}
    assert _errors(SavingsCreate, {**good, "delivered": "NaN"}) == {"delivered"}
    assert _errors(SavingsCreate, {**good, "financial_year": "2024/26"}) == {"financial_year"}
    assert _errors(SavingsUpdate, {"delivered": -1}) == {"delivered"}
    assert _errors(SavingsUpdate, {"financial_year": "2025/25"}) == {"financial_year"}
