"""Grouping rows by their parent, the step every batch lookup (DataLoader) ends with."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar, overload

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
V = TypeVar("V")


@overload
def group_by(
    rows: Iterable[R], key: Callable[[R], K], *, keys: Iterable[K] = ()
) -> dict[K, list[R]]: ...


@overload
def group_by(
    rows: Iterable[R], key: Callable[[R], K], value: Callable[[R], V], *, keys: Iterable[K] = ()
) -> dict[K, list[V]]: ...


def group_by(
    rows: Iterable[R],
    key: Callable[[R], K],
    value: Callable[[R], V] | None = None,
    *,
    keys: Iterable[K] = (),
) -> dict[K, list[R]] | dict[K, list[V]]:
    """Rows (or ``value(row)``) in lists by ``key(row)``, each list in the rows' order; every
    one of ``keys`` is present, with an empty list if no row has it::

        group_by(milestones, key=lambda m: m.programme_id, keys=programme_ids)
    """
    groups: dict[K, list[object]] = {k: [] for k in keys}
    for row in rows:
        groups.setdefault(key(row), []).append(row if value is None else value(row))
    return groups  # type: ignore[return-value]
