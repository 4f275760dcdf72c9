"""Values pushed by directorate systems: registered clients, single and bulk pushes.

One path for both. A push is applied once per (client, idempotency key): the same key and body
again answers what it made (replayed), the same key with another body is refused. A value equal
to the period's current one writes nothing (unchanged); a different one is a new revision
(restated), keeping the reason when one is given (a directorate's automated feed often has
none). Every item is checked before anything is written, and a bulk push is
all-or-nothing: one bad item among thousands refuses the whole body, naming every bad item by
its index, so a directorate system can fix its file and resend it as it was (retrying the good
items is safe: their keys replay).

Each applied push writes its rows, their audit entries and any status event in one
transaction, so the change feed (``GET /changes``) never shows a value without its event or
the other way round. On PostgreSQL a push is two round trips: one statement reads everything
it decides on (the client's grants, the KPIs and their targets, an earlier push with the key,
each period's current revision, each KPI's latest value), and one statement writes rows, audit
entries and events, run for all the pushes waiting at that moment together
(``services.common.groupwrite``), so concurrent pushes share the audit ordering lock and one
commit. That is a transaction of its own, not the request's: the request has nothing else to
commit with it.

The event contract, for followers such as the risks service:

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

import asyncio
import json
import weakref
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import partial
from typing import Any

import asyncpg
from pydantic import TypeAdapter
from sqlalchemy import tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import asof, audit, clock, groupwrite
from services.common.auth import WRITERS, Principal, Role
from services.common.db import Transaction, update_versioned, utcnow
from services.common.errors import Conflict, FieldError, Forbidden, NotFound
from services.common.logging import request_id_var
from services.common.updates import refuse_empty
from services.kpis import insight, service
from services.kpis.models import AuditEntry, Measurement, PushClient
from services.kpis.schemas import (
    BulkItem,
    BulkResult,
    Colour,
    Frequency,
    MeasurementCreate,
    PushClientCreate,
    PushClientUpdate,
    PushOutcome,
    Unit,
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
    refuse_empty(changes, ("name", "kpi_codes", "active"))
    if "kpi_codes" in changes:
        await _check_codes(session, changes["kpi_codes"])
    before = audit.snapshot(row)
    await update_versioned(session, row, changes, expected_version=expected_version)
    await service._audit(session, actor, "update", row, before)
    return row


def authorise(actor: Principal, client: Grants | None, items: Sequence[Item]) -> None:
    """Editors and admins may push any KPI; a machine client only the codes its active
    registration grants now (its token's own claims are not trusted for grants)."""
    if actor.has_any(WRITERS):
        return
    if Role.machine not in actor.roles:
        raise Forbidden(f"{actor.subject} may not push KPI values", field="roles")
    if client is None or not client.active:
        state = "is not registered" if client is None else "has been revoked"
        raise Forbidden(f"push client {actor.subject!r} {state}", field="Authorization")
    refused = [
        {"field": item.field("code"), "message": f"{actor.subject} may not push {item.code}"}
        for item in items
        if item.code not in client.codes
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


@dataclass(frozen=True)
class Grants:
    """A registered push client's standing, read on every push."""

    active: bool
    codes: frozenset[str]


@dataclass(frozen=True)
class KpiFacts:
    """What a push needs of a KPI."""

    id: int
    code: str
    frequency: Frequency
    unit: Unit


@dataclass
class Value:
    """A measurement row as a push reads and writes it (lighter than the ORM class: a bulk
    push makes thousands). Read by ``service.measurement_read``."""

    id: int | None
    kpi_id: int
    period: str
    period_start: date
    period_end: date
    value: float
    note: str | None
    reason: str | None
    revision: int
    pushed_by: str
    idempotency_key: str
    received_at: datetime

    @classmethod
    def of(cls, row: Any) -> Value:
        return cls(**{name: getattr(row, name) for name in _FIELDS})

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Value:
        """A row as PostgreSQL's ``json_agg`` writes it: dates and times as ISO text."""
        row = cls(**{name: doc[name] for name in _FIELDS})
        row.period_start = date.fromisoformat(doc["period_start"])
        row.period_end = date.fromisoformat(doc["period_end"])
        row.received_at = datetime.fromisoformat(doc["received_at"])
        return row


_FIELDS = [f.name for f in fields(Value)]


@dataclass
class Context:
    """What a push decides on: the client's grants, the KPIs and their standards, this client's
    earlier pushes with these keys, each period's current revision, each KPI's latest value."""

    client: Grants | None
    kpis: dict[str, KpiFacts]
    standards: dict[int, service.Standards]
    earlier: dict[str, Value]
    current: dict[tuple[int, str], Value]
    latest: dict[int, Value]


@dataclass
class Applied:
    item: Item
    row: Value
    outcome: PushOutcome


def _on_postgresql(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


# One statement, one round trip, index probes rather than scans (a push must cost the same on
# the millionth row as on the first): the unique indexes (pushed_by, idempotency_key) and
# (kpi_id, period, revision) and ix_measurement_kpi_id_period_end_revision are probed once per
# key via LATERAL (a plain ``idempotency_key = ANY(...)`` was planned as a scan of all the
# client's rows). A period is matched as written: a period that does not fit its KPI's
# frequency finds nothing and is refused before anything would use it.
# $1: the actor, $2, $3: each item's code and period, $4: each item's key.
CONTEXT_SQL = (
    "WITH p AS (SELECT DISTINCT code, period"
    " FROM unnest($2::text[], $3::text[]) AS p(code, period)),"
    " k AS (SELECT id, code, frequency, unit, target, tolerance, higher_is_better FROM kpi"
    " WHERE code IN (SELECT code FROM p))"
    " SELECT (SELECT json_build_object('active', active, 'codes', kpi_codes)"
    " FROM push_client WHERE client_id = $1) AS client,"
    " (SELECT json_agg(k) FROM k) AS kpis,"
    " (SELECT json_agg(json_build_object('kpi_id', t.kpi_id, 'year', t.financial_year,"
    " 'target', t.target, 'tolerance', t.tolerance)) FROM kpi_target AS t"
    " WHERE t.kpi_id IN (SELECT id FROM k)) AS targets,"
    " (SELECT json_agg(m) FROM (SELECT DISTINCT unnest($4::text[]) AS key) AS q CROSS JOIN LATERAL"
    " (SELECT * FROM measurement WHERE pushed_by = $1 AND idempotency_key = q.key) AS m)"
    " AS earlier,"
    " (SELECT json_agg(m) FROM p JOIN k USING (code) CROSS JOIN LATERAL"
    " (SELECT * FROM measurement WHERE kpi_id = k.id AND period = p.period"
    " ORDER BY revision DESC LIMIT 1) AS m) AS current,"
    " (SELECT json_agg(m) FROM k CROSS JOIN LATERAL"
    " (SELECT * FROM measurement WHERE kpi_id = k.id"
    " ORDER BY period_end DESC, revision DESC LIMIT 1) AS m) AS latest"
)


async def _context(engine: AsyncEngine, actor: str, items: Sequence[Item]) -> Context:
    """PostgreSQL: one statement on asyncpg itself (prepared once per connection), outside a
    transaction: a read needs none, and the write that follows is one statement of its own
    (see _insert)."""
    async with groupwrite.driver_connection(engine) as driver:
        found = await driver.fetchrow(
            CONTEXT_SQL,
            actor,
            [i.code for i in items],
            [i.period for i in items],
            [i.key for i in items],
        )
    assert found is not None  # one row, always
    # The engine's connections decode JSON already (SQLAlchemy's asyncpg dialect sets codecs).
    client, kpis, targets, earlier, current, latest = (
        json.loads(doc) if isinstance(doc, str) else doc for doc in found
    )
    facts = {
        k["code"]: KpiFacts(k["id"], k["code"], Frequency(k["frequency"]), Unit(k["unit"]))
        for k in kpis or ()
    }
    by_year: dict[int, dict[str, tuple[float, float]]] = {k["id"]: {} for k in kpis or ()}
    for t in targets or ():
        by_year[t["kpi_id"]][t["year"]] = (t["target"], t["tolerance"])
    current_rows = [Value.from_json(m) for m in current or ()]
    return Context(
        client=None if client is None else Grants(client["active"], frozenset(client["codes"])),
        kpis=facts,
        standards={
            k["id"]: service.Standards(
                k["target"], k["tolerance"], k["higher_is_better"], by_year[k["id"]]
            )
            for k in kpis or ()
        },
        earlier={m["idempotency_key"]: Value.from_json(m) for m in earlier or ()},
        current={(m.kpi_id, m.period): m for m in current_rows},
        latest={m["kpi_id"]: Value.from_json(m) for m in latest or ()},
    )


async def _context_orm(session: AsyncSession, actor: str, items: Sequence[Item]) -> Context:
    """The same on the embedded SQLite database (small by nature): a few plain queries."""
    client = (await session.exec(select(PushClient).where(PushClient.client_id == actor))).first()
    kpis = await service.get_by_codes(session=session, codes=[i.code for i in items])
    ids = [k.id for k in kpis.values() if k.id is not None]
    pairs = sorted({(kpis[i.code].id, i.period) for i in items if i.code in kpis})
    current: dict[tuple[int, str], Value] = {}
    if pairs:
        for row in (
            await session.exec(
                select(Measurement).where(
                    tuple_(col(Measurement.kpi_id), col(Measurement.period)).in_(pairs)
                )
            )
        ).all():
            pair = (row.kpi_id, row.period)
            if pair not in current or row.revision > current[pair].revision:
                current[pair] = Value.of(row)
    earlier = (
        await session.exec(
            select(Measurement).where(
                col(Measurement.pushed_by) == actor,
                col(Measurement.idempotency_key).in_({i.key for i in items}),
            )
        )
    ).all()
    latest = await insight.latest_values(session=session, kpi_ids=ids)
    return Context(
        client=None if client is None else Grants(client.active, frozenset(client.kpi_codes)),
        kpis={
            k.code: KpiFacts(k.id, k.code, k.frequency, k.unit)  # type: ignore[arg-type]
            for k in kpis.values()
        },
        standards=await service.standards_for(session=session, kpis=list(kpis.values())),
        earlier={row.idempotency_key: Value.of(row) for row in earlier},
        current=current,
        latest={kpi_id: Value.of(row) for kpi_id, (row, _) in latest.items()},
    )


def _decide(
    actor: str, items: Sequence[Item], context: Context
) -> tuple[list[Applied], list[Value]]:
    """Each item's outcome and the rows to write; every bad item at once (FieldError)."""
    today = clock.today()
    now = utcnow()
    errors: list[dict[str, Any]] = []
    applied: list[Applied] = []
    new_rows: list[Value] = []
    earlier = dict(context.earlier)
    current = dict(context.current)
    for item in items:
        kpi = context.kpis.get(item.code)
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
        before = earlier.get(item.key)
        if before is not None:
            if (before.kpi_id, before.period, before.value, before.note) == (
                kpi.id,
                period.text,
                item.value,
                item.note,
            ):
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
        row = Value(
            id=None,
            kpi_id=kpi.id,
            period=period.text,
            period_start=period.start,
            period_end=period.end,
            value=item.value,
            note=item.note,
            reason=item.reason,
            revision=1 if latest is None else latest.revision + 1,
            pushed_by=actor,
            idempotency_key=item.key,
            received_at=now,
        )
        current[(kpi.id, period.text)] = earlier[item.key] = row
        new_rows.append(row)
        outcome = PushOutcome.created if latest is None else PushOutcome.restated
        applied.append(Applied(item, row, outcome))
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        first = errors[0]
        raise FieldError(f"{first['field']}: {first['message']}{more}", errors=errors)
    return applied, new_rows


def _status(row: Value, colour: Colour | None) -> dict[str, Any]:
    return {"period": row.period, "value": row.value, "revision": row.revision, "colour": colour}


def _events(context: Context, new_rows: Sequence[Value]) -> list[dict[str, Any]]:
    """A ``kpi`` event for each KPI whose current colour these rows change."""
    codes = {kpi.id: kpi.code for kpi in context.kpis.values()}
    events = []
    for kpi_id in sorted({row.kpi_id for row in new_rows}):
        old = context.latest.get(kpi_id)
        candidates = [r for r in new_rows if r.kpi_id == kpi_id] + ([old] if old else [])
        new = max(candidates, key=lambda r: (r.period_start, r.revision))
        if new is old:
            continue  # only an earlier period was pushed or restated
        rate = context.standards[kpi_id]
        colour_before = None if old is None else rate.colour(old.value, old.period_start)
        colour_after = rate.colour(new.value, new.period_start)
        if colour_after is None or colour_after == colour_before:
            continue
        target, tolerance = rate.for_period(new.period_start)
        events.append(
            {
                "action": "breached" if colour_after is Colour.red else "colour-changed",
                "entity": "kpi",
                "entity_id": codes[kpi_id],
                "before": None if old is None else _status(old, colour_before),
                "after": {
                    **_status(new, colour_after),
                    "code": codes[kpi_id],
                    "target": target,
                    "tolerance": tolerance,
                    "breach": colour_after is Colour.red,
                },
            }
        )
    return events


# The write: rows, their audit entries and the status events in one statement, so one
# transaction whatever else happens. It takes the audit ordering lock before the audit rows
# draw their ids and, being a transaction on its own, holds it only while PostgreSQL runs it.
# A unique key taken by a racing push fails it whole (nothing written), and the push decides
# again. Each row's id is drawn from its sequence before the insert, so the row and its audit
# entry are built from one source row (no join of the inserted rows back to the items), and a
# row's audit ``after`` is built here from the row as inserted (the same keys as the model's
# JSON dump; ``received_at`` as Python writes it), not encoded row by row in Python.
_MEASUREMENT_COLUMNS = [name for name in _FIELDS if name != "id"]
_SNAPSHOT = ", ".join(
    f"'{name}', s.{name}" if name != "received_at" else "'received_at', s.received_text"
    for name in _FIELDS
)
INSERT_SQL = (
    f"WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock({audit.ORDER_LOCK})),"
    " s AS MATERIALIZED (SELECT nextval('measurement_id_seq') AS id, s.*"
    " FROM unnest($1::integer[], $2::text[], $3::date[], $4::date[],"
    " $5::float8[], $6::text[], $7::text[], $8::integer[], $9::text[], $10::text[],"
    " $11::timestamptz[], $12::text[], $13::text[]) WITH ORDINALITY"
    f" AS s({', '.join(_MEASUREMENT_COLUMNS)}, received_text, request_id, ord)),"
    f" m AS (INSERT INTO measurement (id, {', '.join(_MEASUREMENT_COLUMNS)})"
    f" SELECT id, {', '.join(_MEASUREMENT_COLUMNS)} FROM s"
    " RETURNING id, pushed_by, idempotency_key),"
    " entries AS (SELECT 0 AS kind, s.ord, s.received_at AS at, s.pushed_by AS actor,"
    " 'create' AS action, 'measurement' AS entity, s.id::text AS entity_id,"
    f" NULL::json AS before, json_build_object({_SNAPSHOT}) AS after, s.request_id FROM s"
    " UNION ALL SELECT 1, e.ord, e.at, e.actor, e.action, 'kpi', e.entity_id, e.before::json,"
    " e.after::json, e.request_id FROM unnest($14::timestamptz[], $15::text[], $16::text[],"
    " $17::text[], $18::text[], $19::text[], $20::text[])"
    " WITH ORDINALITY AS e(at, actor, action, entity_id, before, after, request_id, ord)),"
    " a AS (INSERT INTO audit_entry (at, actor, action, entity, entity_id, before, after,"
    " request_id) SELECT e.at, e.actor, e.action, e.entity, e.entity_id, e.before, e.after,"
    " e.request_id FROM lock, entries AS e ORDER BY e.kind, e.ord RETURNING id),"
    # The commit's position for as-of reads (services/common/asof.py): the newest audit id it
    # wrote, in the same statement, so a cut by time or the cut's day sees this push.
    f" c AS (INSERT INTO {asof.COMMITS} (position, at) SELECT max(id), clock_timestamp() FROM a)"
    " SELECT id, pushed_by, idempotency_key FROM m"
)
_JSON_TIME = TypeAdapter(datetime)


def _snapshot(row: Value, received_at: str) -> dict[str, Any]:
    """The row as the audit entry's ``after`` records it (as ``model_dump(mode="json")``)."""
    return {
        "period": row.period,
        "value": row.value,
        "note": row.note,
        "reason": row.reason,
        "id": row.id,
        "kpi_id": row.kpi_id,
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "revision": row.revision,
        "pushed_by": row.pushed_by,
        "idempotency_key": row.idempotency_key,
        "received_at": received_at,
    }


async def _insert(
    engine: AsyncEngine, actor: str, rows: list[Value], events: list[dict[str, Any]]
) -> None:
    """Write ``rows`` (giving each its id), their audit entries and ``events``, all or none;
    _Raced when a concurrent push took one of their revisions or keys first."""
    received_at = _JSON_TIME.dump_python(rows[0].received_at, mode="json")
    request_id = request_id_var.get()
    at = utcnow()
    params: list[list[Any]] = [[getattr(r, name) for r in rows] for name in _MEASUREMENT_COLUMNS]
    params += [
        [received_at] * len(rows),
        [request_id] * len(rows),
        [at] * len(events),
        [actor] * len(events),
        [e["action"] for e in events],
        [e["entity_id"] for e in events],
        [None if e["before"] is None else json.dumps(e["before"]) for e in events],
        [json.dumps(e["after"]) for e in events],
        [request_id] * len(events),
    ]
    try:
        returned = await groupwrite.GroupWriter.of(engine, INSERT_SQL).write(params)
    except asyncpg.UniqueViolationError as error:
        raise _Raced from error
    ids = {(r["pushed_by"], r["idempotency_key"]): r["id"] for r in returned}
    for row in rows:
        row.id = ids[(actor, row.idempotency_key)]


async def _insert_orm(
    session: AsyncSession, actor: str, rows: list[Value], events: list[dict[str, Any]]
) -> None:
    """The same on SQLite, in the caller's transaction (one writer at a time by nature)."""
    received_at = _JSON_TIME.dump_python(rows[0].received_at, mode="json")
    table = Measurement.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    returned = (
        await connection.execute(
            sqlite_insert(table)
            .on_conflict_do_nothing()
            .returning(table.c.id, table.c.idempotency_key),
            [{name: getattr(row, name) for name in _MEASUREMENT_COLUMNS} for row in rows],
        )
    ).all()
    if len(returned) != len(rows):
        raise _Raced
    ids = {key: new_id for new_id, key in returned}
    for row in rows:
        row.id = ids[row.idempotency_key]
    entries = [
        {
            "action": "create",
            "entity": "measurement",
            "entity_id": row.id,
            "before": None,
            "after": _snapshot(row, received_at),
        }
        for row in rows
    ]
    await audit.record_many(session, AuditEntry, actor=actor, entries=entries + events)


class _Raced(Exception):
    """A concurrent push took a revision or key this attempt meant to write."""


Read = Callable[[str, Sequence[Item]], Awaitable[Context]]
Write = Callable[[str, list[Value], list[dict[str, Any]]], Awaitable[None]]


async def _apply_once(
    read: Read, write: Write, actor: Principal, items: Sequence[Item]
) -> list[Applied]:
    """One attempt, on either database: read what the push decides on, decide, write."""
    context = await read(actor.subject, items)
    authorise(actor, context.client, items)
    applied, new_rows = _decide(actor.subject, items, context)
    if new_rows:
        await write(actor.subject, new_rows, _events(context, new_rows))
    return applied


# Bulk pushes of the same KPIs in this process take turns (KPI codes in order), so thousands
# of rows are not decided only to lose the race for their revisions and decide again; other
# processes are still met by the database's unique keys. Single pushes do not wait: their
# races are rare and cheap.
_BULK_TURNS: weakref.WeakKeyDictionary[Any, weakref.WeakValueDictionary[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()  # a lock lives while a push holds or waits for it
)


async def apply(engine: AsyncEngine, actor: Principal, items: Sequence[Item]) -> list[Applied]:
    """Apply ``items`` all-or-nothing. Losing a race for a revision or a key writes nothing;
    the next attempt reads what the winner wrote and decides again."""
    if len(items) == 1 or not _on_postgresql(engine):
        return await _apply(engine, actor, items)
    turns = _BULK_TURNS.setdefault(engine.sync_engine, weakref.WeakValueDictionary())
    async with AsyncExitStack() as stack:
        for code in sorted({item.code for item in items}):
            turn = turns.get(code)
            if turn is None:
                turn = turns[code] = asyncio.Lock()
            await stack.enter_async_context(turn)
        return await _apply(engine, actor, items)


async def _apply(engine: AsyncEngine, actor: Principal, items: Sequence[Item]) -> list[Applied]:
    for _ in range(PUSH_ATTEMPTS):
        try:
            if _on_postgresql(engine):
                return await _apply_once(
                    partial(_context, engine), partial(_insert, engine), actor, items
                )
            # SQLite: the ORM in one transaction (committed or rolled back as a request's).
            async with Transaction(engine) as session:
                return await _apply_once(
                    partial(_context_orm, session), partial(_insert_orm, session), actor, items
                )
        except (IntegrityError, _Raced):
            continue
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            continue  # the database dropped the connection (a restart): again, on a new one
        except groupwrite.CONNECTION_LOST:
            continue  # the same, met by the group writer; a write it may have made replays
    raise Conflict("these KPI periods are being pushed concurrently; try again", field="period")


async def push_measurement(
    *,
    engine: AsyncEngine,
    actor: Principal,
    code: str,
    data: MeasurementCreate,
    idempotency_key: str | None,
) -> tuple[Value, PushOutcome]:
    key = check_idempotency_key(idempotency_key)
    item = Item(None, code, data.period, data.value, data.note, data.reason, key)
    [applied] = await apply(engine, actor, [item])
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


async def push_bulk(*, engine: AsyncEngine, actor: Principal, items: Sequence[Item]) -> BulkResult:
    applied = await apply(engine, actor, items)
    counts = {outcome: 0 for outcome in PushOutcome}
    for a in applied:
        counts[a.outcome] += 1
    return BulkResult.model_validate(  # from plain dicts: one validation pass, no __init__s
        {
            "created": counts[PushOutcome.created],
            "restated": counts[PushOutcome.restated],
            "unchanged": counts[PushOutcome.unchanged],
            "replayed": counts[PushOutcome.replayed],
            "items": [
                {
                    "index": a.item.index or 0,
                    "code": a.item.code,
                    "period": a.row.period,
                    "outcome": a.outcome,
                    "revision": a.row.revision,
                }
                for a in applied
            ],
        }
    )
