"""A pack's life: drafted by an editor, reviewed, signed off by an admin. A signed pack is never
changed; a correction is a new pack that supersedes it, and only the newest pack of a period
can be signed off."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import audit
from services.common.auth import Principal
from services.common.db import update_versioned, utcnow
from services.common.errors import Conflict, FieldError, Forbidden, NotFound
from services.reporting.models import AuditEntry, Pack
from services.reporting.schemas import PackCreate, PackStatus


def same_plan(portfolio_code: str | None) -> Any:
    """Packs of this plan; a pack of every plan has none (``= NULL`` would match nothing)."""
    if portfolio_code is None:
        return col(Pack.portfolio_code).is_(None)
    return col(Pack.portfolio_code) == portfolio_code


async def latest(*, session: AsyncSession, period: str, portfolio_code: str | None) -> Pack | None:
    return (
        await session.exec(
            select(Pack)
            .where(Pack.period == period, same_plan(portfolio_code))
            .order_by(col(Pack.id).desc())
            .limit(1)
        )
    ).first()


async def check_correction(*, session: AsyncSession, data: PackCreate) -> None:
    """A correction names a signed-off pack of the same period and plan that nothing has
    superseded yet."""
    if data.supersedes_id is None:
        return
    old = await session.get(Pack, data.supersedes_id)
    if old is None:
        raise NotFound(f"no pack with id {data.supersedes_id}", field="supersedes_id")
    if old.status != PackStatus.signed_off:
        raise Conflict(
            f"pack {old.id} is a {old.status}, not signed off: compose a new draft instead "
            "of a correction",
            field="supersedes_id",
        )
    if (old.period, old.portfolio_code) != (data.period, data.portfolio_code):
        raise FieldError(
            f"pack {old.id} reports {old.period} for {old.portfolio_code or 'all plans'}: a "
            "correction reports the same period and plan",
            field="supersedes_id",
        )
    taken = (await session.exec(select(Pack).where(Pack.supersedes_id == old.id))).first()
    if taken is not None:
        raise Conflict(
            f"pack {old.id} is already superseded by pack {taken.id}", field="supersedes_id"
        )


async def review(*, session: AsyncSession, actor: Principal, pack: Pack) -> Pack:
    if pack.status != PackStatus.draft:
        raise Conflict(f"pack {pack.id} is {pack.status}, not a draft", field="pack_id")
    if actor.subject == pack.generated_by:
        # Four eyes: whoever composed the draft is not the one who checks it.
        raise Forbidden(
            f"pack {pack.id} was composed by {actor.subject}: another editor reviews it",
            field="pack_id",
        )
    at = utcnow()
    await update_versioned(
        session,
        pack,
        {"status": PackStatus.reviewed.value, "reviewed_by": actor.subject, "reviewed_at": at},
        expected_version=pack.version,
    )
    await audit.record(
        session,
        AuditEntry,
        actor=actor.subject,
        action="update",
        entity="pack",
        entity_id=pack.id,
        before={"status": PackStatus.draft.value},
        after={"status": PackStatus.reviewed.value, "reviewed_by": actor.subject},
    )
    return pack


async def lock_period(*, session: AsyncSession, pack: Pack) -> None:
    """Serialise sign-offs of one period and plan until commit: two admins signing two packs of
    it at the same instant would each find no signed pack and both succeed. On PostgreSQL a
    transaction-scoped advisory lock keyed by the period and plan; SQLite has one writer."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return
    await connection.execute(
        text("SELECT pg_advisory_xact_lock(72210, hashtext(:key))"),
        {"key": f"{pack.period}/{pack.portfolio_code or ''}"},
    )


async def check_sign_off(*, session: AsyncSession, pack: Pack) -> None:
    """Refusals before anything is written: signed twice, not reviewed, incomplete, or not the
    newest pack of its period."""
    if pack.status == PackStatus.signed_off or pack.signed_off_at is not None:
        raise Conflict(f"pack {pack.id} was signed off by {pack.signed_off_by}", field="pack_id")
    if pack.status != PackStatus.reviewed:
        raise Conflict(
            f"pack {pack.id} is a draft: it is reviewed before it is signed off", field="pack_id"
        )
    if not pack.complete:
        missing = ", ".join(pack.content.get("unavailable_sections", []))
        raise Conflict(
            f"pack {pack.id} is incomplete ({missing} could not be read); "
            "compose it again before signing it off",
            field="pack_id",
        )
    newest = await latest(session=session, period=pack.period, portfolio_code=pack.portfolio_code)
    if newest is not None and newest.id != pack.id:
        raise Conflict(
            f"pack {newest.id} is newer for {pack.period}: only the latest pack is signed off",
            field="pack_id",
        )
    superseded = select(Pack.supersedes_id).where(col(Pack.supersedes_id).is_not(None))
    signed = (
        await session.exec(
            select(Pack).where(
                Pack.period == pack.period,
                same_plan(pack.portfolio_code),
                col(Pack.signed_off_at).is_not(None),
                col(Pack.id).not_in(superseded),
            )
        )
    ).first()
    if signed is not None:
        raise Conflict(
            f"pack {signed.id} is already the signed-off pack for {pack.period}; "
            "a correction names it in supersedes_id",
            field="pack_id",
        )
