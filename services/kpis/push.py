"""Values pushed by directorate systems: registered clients, single and bulk pushes.

One path for both. A push is applied once per (client, idempotency key): the same key and body
again answers what it made (replayed), the same key with another body is refused. A value equal
to the period's current one writes nothing (unchanged); a different one is a new revision
(restated), keeping the reason when one is given (a directorate's automated feed often has
none). Every item is checked before anything is written, and a bulk push is
all-or-nothing: one bad item among thousands refuses the whole body, naming every bad item by
its index, so a directorate system can fix its file and resend it as it was (retrying the good
items is safe: their keys replay).

Each applied push writes its rows, their audit entries and any status event in the caller's
transaction, so the change feed (``GET /changes``) never shows a value without its event or
the other way round. The event contract, for followers such as the risks service:

- ``entity: "kpi"``, ``entity_id``: the KPI's code; ``action``: ``"breached"`` when the KPI's
  current colour turns Red, ``"colour-changed"`` for any other change of it (including its
  first colour). ``"create"``/``"update"`` on ``kpi`` are changes to the definition, not status.
- ``after``: ``code``, ``period``, ``value``, ``revision``, ``colour`` (Blue/Green/Amber/Red),
  ``target``, ``tolerance`` (the period's financial year's), ``breach`` (true when Red).
- ``before``: ``period``, ``value``, ``revision``, ``colour`` of the status it replaced, or
  null for a KPI's first value.
- Only a push that changes the KPI's latest period's current value can raise one: restating an
  earlier period does not change what the KPI shows now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit, clock
from services.common.auth import WRITERS, Principal, Role
from services.common.db import update_versioned, utcnow
from services.common.errors import Conflict, FieldError, Forbidden, NotFound
from services.kpis import insight, periods, service
from services.kpis.models import AuditEntry, Kpi, Measurement, PushClient
from services.kpis.schemas import (
    BulkItem,
    BulkOutcome,
    BulkResult,
    Colour,
    MeasurementCreate,
    PushClientCreate,
    PushClientUpdate,
    PushOutcome,
)

PUSH_ATTEMPTS = 5
MAX_KEY = 200


@dataclass(frozen=True)
class Item:
    """One value to apply; ``index`` is its place in a bulk body (None for a single push)."""

    index: int | None
    code: str
    period: str
    value: float
    note: str | None
    reason: str | None
    key: str
    where: str = "items"  # "rows" for an uploaded file

    def field(self, name: str) -> str:
        if self.index is None:
            return "Idempotency-Key" if name == "key" else name
        return f"{self.where}[{self.index}].{name}"


@dataclass
class Applied:
    item: Item
    row: Measurement
    outcome: PushOutcome


# Machine clients ---------------------------------------------------------------------------


async def get_client(*, session: AsyncSession, client_id: str) -> PushClient:
    row = (await session.exec(select(PushClient).where(PushClient.client_id == client_id))).first()
    if row is None:
        raise NotFound(f"no push client {client_id!r}", field="client_id")
    return row


async def list_clients(*, session: AsyncSession) -> list[PushClient]:
    return list((await session.exec(select(PushClient).order_by(PushClient.client_id))).all())


async def _check_codes(session: AsyncSession, codes: Sequence[str]) -> None:
    known = await service.get_by_codes(session=session, codes=codes)
    for i, code in enumerate(codes):
        if code not in known:
            raise FieldError(f"no KPI with code {code!r}", field=f"kpi_codes[{i}]")


async def create_client(
    *, session: AsyncSession, actor: Principal, data: PushClientCreate
) -> PushClient:
    if (
        await session.exec(select(PushClient.id).where(PushClient.client_id == data.client_id))
    ).first() is not None:
        raise Conflict(f"push client {data.client_id!r} exists", field="client_id")
    await _check_codes(session, data.kpi_codes)
    row = PushClient.model_validate(data)
    session.add(row)
    await session.flush()
    await service._audit(session, actor, "create", row, None)
    return row


async def update_client(
    *,
    session: AsyncSession,
    actor: Principal,
    client_id: str,
    data: PushClientUpdate,
    expected_version: int,
) -> PushClient:
    """Grants and revocation apply to the client's next push: they are read on every push."""
    row = await get_client(session=session, client_id=client_id)
    changes = data.model_dump(exclude_unset=True)
    for name in ("name", "kpi_codes", "active"):
        if name in changes and changes[name] is None:
            raise FieldError(f"{name} cannot be empty", field=name)
    if "kpi_codes" in changes:
        await _check_codes(session, changes["kpi_codes"])
    before = audit.snapshot(row)
    await update_versioned(session, row, changes, expected_version=expected_version)
    await service._audit(session, actor, "update", row, before)
    return row


async def authorise(session: AsyncSession, actor: Principal, items: Sequence[Item]) -> None:
    """Editors and admins may push any KPI; a machine client only the codes its active
    registration grants now (its token's own claims are not trusted for grants)."""
    if actor.has_any(WRITERS):
        return
    if Role.machine not in actor.roles:
        raise Forbidden(f"{actor.subject} may not push KPI values", field="roles")
    client = (
        await session.exec(select(PushClient).where(PushClient.client_id == actor.subject))
    ).first()
    if client is None or not client.active:
        state = "is not registered" if client is None else "has been revoked"
        raise Forbidden(f"push client {actor.subject!r} {state}", field="Authorization")
    granted = set(client.kpi_codes)
    refused = [
        {"field": item.field("code"), "message": f"{actor.subject} may not push {item.code}"}
        for item in items
        if item.code not in granted
    ]
    if refused:
        raise Forbidden(refused[0]["message"], errors=refused)


# Applying pushes ---------------------------------------------------------------------------


def check_idempotency_key(key: str | None, *, field: str = "Idempotency-Key") -> str:
    if key is None or not key.strip():
        raise FieldError(
            "send an Idempotency-Key header (e.g. a UUID) so a retried push is applied once",
            field=field,
        )
    key = key.strip()
    if len(key) > MAX_KEY or not key.isprintable():
        raise FieldError(
            f"the idempotency key must be at most {MAX_KEY} printable characters", field=field
        )
    return key


def _same(row: Measurement, kpi: Kpi, period: str, item: Item) -> bool:
    return (row.kpi_id, row.period, row.value, row.note) == (kpi.id, period, item.value, item.note)


def _snapshot(row: Measurement) -> dict[str, Any]:
    return row.model_dump(mode="json")


# Index probes, not scans: a period may gather many revisions and a KPI many periods, and a push
# must cost the same on the millionth row as on the first. PostgreSQL walks the unique index
# (kpi_id, period, revision) and ix_measurement_kpi_id_period_end_revision backwards, once per
# key, via LATERAL; the embedded SQLite database (small by nature) reads the rows and picks.

# Columns named in the model's order, as the model reads them.
_TABLE = Measurement.__table__  # type: ignore[attr-defined]
_COLUMNS = ", ".join(f"m.{c.name}" for c in _TABLE.columns)


def _on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _current_revisions(
    session: AsyncSession, pairs: set[tuple[int, str]]
) -> dict[tuple[int | None, str], Measurement]:
    """The newest revision of each (KPI, period) (SQLite: reads them all and picks)."""
    if not pairs:
        return {}
    ordered = sorted(pairs)
    found: dict[tuple[int | None, str], Measurement] = {}
    rows = (
        await session.exec(
            select(Measurement).where(
                tuple_(col(Measurement.kpi_id), col(Measurement.period)).in_(ordered)
            )
        )
    ).all()
    for row in rows:
        pair = (row.kpi_id, row.period)
        if pair not in found or row.revision > found[pair].revision:
            found[pair] = row
    return found


async def _latest_per_kpi(session: AsyncSession, ids: Sequence[int]) -> dict[int, Measurement]:
    """Each KPI's current value of its latest period (SQLite)."""
    found = await insight.latest_values(session=session, kpi_ids=ids)
    return {kpi_id: latest for kpi_id, (latest, _) in found.items()}


PROBE_SQL = text(
    f"SELECT 'key' AS probe, {_COLUMNS} FROM measurement AS m"
    " WHERE m.pushed_by = :actor AND m.idempotency_key = ANY(CAST(:keys AS text[]))"
    f" UNION ALL SELECT 'current', {_COLUMNS}"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:periods AS text[])) AS p(kpi_id, period)"
    " CROSS JOIN LATERAL (SELECT * FROM measurement WHERE kpi_id = p.kpi_id"
    " AND period = p.period ORDER BY revision DESC LIMIT 1) AS m"
    f" UNION ALL SELECT 'latest', {_COLUMNS} FROM unnest(CAST(:kpis AS integer[])) AS k(kpi_id)"
    " CROSS JOIN LATERAL (SELECT * FROM measurement WHERE kpi_id = k.kpi_id"
    " ORDER BY period_end DESC, revision DESC LIMIT 1) AS m"
)


async def _probe(
    session: AsyncSession,
    actor: str,
    keys: set[str],
    pairs: set[tuple[int, str]],
    kpi_ids: list[int],
) -> tuple[
    dict[str, Measurement], dict[tuple[int | None, str], Measurement], dict[int, Measurement]
]:
    """What a push decides on: this client's earlier pushes with these keys, each period's
    current revision, each KPI's latest value. One round trip on PostgreSQL."""
    if not _on_postgresql(session):
        found = (
            await session.exec(
                select(Measurement).where(
                    col(Measurement.pushed_by) == actor,
                    col(Measurement.idempotency_key).in_(keys),
                )
            )
        ).all()
        return (
            {row.idempotency_key: row for row in found},
            await _current_revisions(session, pairs),
            await _latest_per_kpi(session, kpi_ids),
        )
    ordered = sorted(pairs)
    connection = await session.connection()
    rows = await connection.execute(
        PROBE_SQL,
        {
            "actor": actor,
            "keys": sorted(keys),
            "ids": [p[0] for p in ordered],
            "periods": [p[1] for p in ordered],
            "kpis": kpi_ids,
        },
    )
    earlier: dict[str, Measurement] = {}
    current: dict[tuple[int | None, str], Measurement] = {}
    latest: dict[int, Measurement] = {}
    for row in rows:
        values = dict(row._mapping)
        probe = values.pop("probe")
        probed = Measurement(**values)
        if probe == "key":
            earlier[probed.idempotency_key] = probed
        elif probe == "current":
            current[(probed.kpi_id, probed.period)] = probed
        else:
            latest[probed.kpi_id] = probed
    return earlier, current, latest


def _status(row: Measurement, colour: Colour | None) -> dict[str, Any]:
    return {"period": row.period, "value": row.value, "revision": row.revision, "colour": colour}


async def _events(
    session: AsyncSession,
    kpis: dict[int, Kpi],
    new_rows: Sequence[Measurement],
    before: dict[int, Measurement],
) -> list[dict[str, Any]]:
    """A ``kpi`` event for each KPI whose current colour these rows change."""
    ids = sorted({row.kpi_id for row in new_rows})
    standards = await service.standards_for(session=session, kpis=[kpis[i] for i in ids])
    events = []
    for kpi_id in ids:
        old = before.get(kpi_id)
        candidates = [r for r in new_rows if r.kpi_id == kpi_id] + ([old] if old else [])
        new = max(candidates, key=lambda r: (r.period_start, r.revision))
        if new is old:
            continue  # only an earlier period was pushed or restated
        rate = standards[kpi_id]
        colour_before = None if old is None else rate.colour(old.value, old.period_start)
        colour_after = rate.colour(new.value, new.period_start)
        if colour_after is None or colour_after == colour_before:
            continue
        target, tolerance = rate.for_period(new.period_start)
        events.append(
            {
                "action": "breached" if colour_after is Colour.red else "colour-changed",
                "entity": "kpi",
                "entity_id": kpis[kpi_id].code,
                "before": None if old is None else _status(old, colour_before),
                "after": {
                    **_status(new, colour_after),
                    "code": kpis[kpi_id].code,
                    "target": target,
                    "tolerance": tolerance,
                    "breach": colour_after is Colour.red,
                },
            }
        )
    return events


async def _apply_once(
    session: AsyncSession, actor: Principal, items: Sequence[Item]
) -> list[Applied]:
    kpis_by_code = await service.get_by_codes(session=session, codes=[i.code for i in items])
    today = clock.today()
    errors: list[dict[str, Any]] = []
    checked: list[tuple[Item, Kpi, periods.Period]] = []
    for item in items:
        kpi = kpis_by_code.get(item.code)
        if kpi is None:
            if item.index is None:
                raise NotFound(f"no KPI with code {item.code!r}", field="code")
            errors.append({"field": item.field("code"), "message": f"no KPI {item.code!r}"})
            continue
        period = service.check_period(item.period, kpi.frequency, today)
        if isinstance(period, str):
            errors.append({"field": item.field("period"), "message": period})
            continue
        why = service.check_value(kpi.unit, item.value)
        if why is not None:
            errors.append({"field": item.field("value"), "message": f"{kpi.code}: {why}"})
            continue
        checked.append((item, kpi, period))

    keys = {item.key for item, _, _ in checked}
    pairs = {(kpi.id, period.text) for _, kpi, period in checked}
    earlier: dict[str, Measurement] = {}
    current: dict[tuple[int | None, str], Measurement] = {}
    latest_by_kpi: dict[int, Measurement] = {}
    if checked:
        earlier, current, latest_by_kpi = await _probe(
            session,
            actor.subject,
            keys,
            pairs,  # type: ignore[arg-type]
            sorted({kpi.id for _, kpi, _ in checked if kpi.id is not None}),
        )

    now = utcnow()
    applied: list[Applied] = []
    new_rows: list[Measurement] = []
    for item, kpi, period in checked:
        before = earlier.get(item.key)
        if before is not None:
            if _same(before, kpi, period.text, item):
                applied.append(Applied(item, before, PushOutcome.replayed))
            else:
                errors.append(
                    {
                        "field": item.field("key"),
                        "message": f"idempotency key {item.key!r} was used for another push "
                        f"({item.code} is not the KPI, or the period, value or note differ); "
                        "use a new key for a new push",
                    }
                )
            continue
        latest = current.get((kpi.id, period.text))
        if latest is not None and latest.value == item.value:
            applied.append(Applied(item, latest, PushOutcome.unchanged))
            continue
        row = Measurement(
            kpi_id=kpi.id,  # type: ignore[arg-type]
            period=period.text,
            period_start=period.start,
            period_end=period.end,
            value=item.value,
            note=item.note,
            reason=item.reason,
            revision=1 if latest is None else latest.revision + 1,
            pushed_by=actor.subject,
            idempotency_key=item.key,
            received_at=now,
        )
        current[(kpi.id, period.text)] = row
        earlier[item.key] = row
        new_rows.append(row)
        outcome = PushOutcome.created if latest is None else PushOutcome.restated
        applied.append(Applied(item, row, outcome))

    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        first = errors[0]
        raise FieldError(f"{first['field']}: {first['message']}{more}", errors=errors)
    if not new_rows:
        return applied

    kpis = {k.id: k for k in kpis_by_code.values()}
    events = await _events(session, kpis, new_rows, latest_by_kpi)  # type: ignore[arg-type]
    table = Measurement.__table__  # type: ignore[attr-defined]
    columns = [c.name for c in table.columns if c.name != "id"]
    # Core, not the unit of work: one multi-row INSERT per thousand rows (insertmanyvalues).
    # A row that lost a race for its revision or key is skipped, not an error, so a single
    # push needs no SAVEPOINT: nothing was written, and the next attempt reads again.
    insert = postgresql_insert if _on_postgresql(session) else sqlite_insert
    connection = await session.connection()
    returned = (
        await connection.execute(
            insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.idempotency_key),
            [{name: getattr(row, name) for name in columns} for row in new_rows],
        )
    ).all()
    if len(returned) != len(new_rows):
        raise _Raced
    ids = {key: new_id for new_id, key in returned}
    for row in new_rows:
        row.id = ids[row.idempotency_key]
    entries = [
        {
            "action": "create",
            "entity": "measurement",
            "entity_id": row.id,
            "before": None,
            "after": _snapshot(row),
        }
        for row in new_rows
    ]
    await audit.record_many(session, AuditEntry, actor=actor.subject, entries=entries + events)
    return applied


class _Raced(Exception):
    """A concurrent push took a revision or key this attempt meant to write."""


async def apply(session: AsyncSession, actor: Principal, items: Sequence[Item]) -> list[Applied]:
    """Apply ``items`` all-or-nothing, in the caller's transaction."""
    await authorise(session, actor, items)
    for _ in range(PUSH_ATTEMPTS):
        if len(items) == 1:
            try:  # one row: losing the race wrote nothing (see _apply_once)
                return await _apply_once(session, actor, items)
            except _Raced:
                continue
        try:
            # A SAVEPOINT: losing a race for a revision or a key keeps our transaction, and
            # the next attempt reads what the winner wrote and decides again.
            async with session.begin_nested():
                return await _apply_once(session, actor, items)
        except (IntegrityError, _Raced):
            continue
    raise Conflict("these KPI periods are being pushed concurrently; try again", field="period")


async def push_measurement(
    *,
    session: AsyncSession,
    actor: Principal,
    code: str,
    data: MeasurementCreate,
    idempotency_key: str | None,
) -> tuple[Measurement, PushOutcome]:
    key = check_idempotency_key(idempotency_key)
    item = Item(None, code, data.period, data.value, data.note, data.reason, key)
    [applied] = await apply(session, actor, [item])
    return applied.row, applied.outcome


def bulk_items(items: Sequence[BulkItem], code: str | None = None) -> list[Item]:
    """Items of a bulk body; ``code`` when the path names the KPI for all of them."""
    return [
        Item(
            i,
            code or b.code or "",
            b.period,
            b.value,
            b.note,
            b.reason,
            check_idempotency_key(b.key, field=f"items[{i}].key"),
        )
        for i, b in enumerate(items)
    ]


async def push_bulk(
    *, session: AsyncSession, actor: Principal, items: Sequence[Item]
) -> BulkResult:
    applied = await apply(session, actor, items)
    counts = {outcome: 0 for outcome in PushOutcome}
    for a in applied:
        counts[a.outcome] += 1
    return BulkResult(
        created=counts[PushOutcome.created],
        restated=counts[PushOutcome.restated],
        unchanged=counts[PushOutcome.unchanged],
        replayed=counts[PushOutcome.replayed],
        items=[
            BulkOutcome(
                index=a.item.index or 0,
                code=a.item.code,
                period=a.row.period,
                outcome=a.outcome,
                revision=a.row.revision,
            )
            for a in applied
        ],
    )
