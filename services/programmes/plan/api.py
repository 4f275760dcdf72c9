"""REST for portfolios, aims and programmes: thin routers over plan/service.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.programmes.asof import ReadSessionDep
from services.programmes.plan import service
from services.programmes.plan.schemas import (
    AimCreate,
    AimRead,
    OutcomeRead,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    PortfolioCreate,
    PortfolioRead,
    ProgrammeCreate,
    ProgrammeRead,
    ProgrammeUpdate,
    ServedOutcomes,
    TimescaleRead,
    WorkstreamCreate,
    WorkstreamRead,
)

router = APIRouter()


@router.get("/portfolios", response_model=list[PortfolioRead], tags=["portfolios"])
async def list_portfolios(session: ReadSessionDep, _: Reader) -> list[PortfolioRead]:
    rows = await service.list_portfolios(session=session)
    scales = await service.rag_scales(session=session, portfolio_ids=[r.id for r in rows])  # type: ignore[misc]
    return [service.portfolio_read(r, scales[r.id]) for r in rows]  # type: ignore[index]


@router.post(
    "/portfolios",
    response_model=PortfolioRead,
    status_code=status.HTTP_201_CREATED,
    tags=["portfolios"],
)
async def create_portfolio(
    data: PortfolioCreate, session: SessionDep, actor: Writer, response: Response
) -> PortfolioRead:
    portfolio = await service.create_portfolio(session=session, actor=actor, data=data)
    set_etag(response, portfolio.version)
    scales = await service.rag_scales(session=session, portfolio_ids=[portfolio.id])  # type: ignore[list-item]
    return service.portfolio_read(portfolio, scales[portfolio.id])  # type: ignore[index]


@router.get("/aims", response_model=list[AimRead], tags=["aims"])
async def list_aims(
    session: ReadSessionDep, _: Reader, portfolio_id: int | None = None
) -> list[AimRead]:
    aims = list(await service.list_aims(session=session, portfolio_id=portfolio_id))
    return await service.aim_reads(session=session, aims=aims)


@router.post("/aims", response_model=AimRead, status_code=status.HTTP_201_CREATED, tags=["aims"])
async def create_aim(data: AimCreate, session: SessionDep, actor: Writer) -> AimRead:
    aim = await service.create_aim(session=session, actor=actor, data=data)
    return (await service.aim_reads(session=session, aims=[aim]))[0]


@router.get("/programmes", response_model=Page[ProgrammeRead], tags=["programmes"])
async def list_programmes(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    portfolio_id: int | None = None,
    portfolio_code: str | None = None,
    aim_id: int | None = None,
    directorate: str | None = None,
    sao_id: int | None = None,
    person_id: Annotated[int | None, Query(description="holds any role on it")] = None,
    sao: Annotated[str | None, Query(description="part of the SAO's name or title")] = None,
    q: Annotated[str | None, Query(description="part of the code or name")] = None,
) -> Page[ProgrammeRead]:
    found = await service.list_programmes(
        session=session,
        page=page,
        portfolio_id=portfolio_id,
        portfolio_code=portfolio_code,
        aim_id=aim_id,
        directorate=directorate,
        sao_id=sao_id,
        person_id=person_id,
        sao=sao,
        q=q,
    )
    rows, total = await counted(session, found)
    return Page(
        items=await service.reads(session=session, programmes=rows),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/programmes",
    response_model=ProgrammeRead,
    status_code=status.HTTP_201_CREATED,
    tags=["programmes"],
)
async def create_programme(
    data: ProgrammeCreate, session: SessionDep, actor: Writer, response: Response
) -> ProgrammeRead:
    programme = await service.create(session=session, actor=actor, data=data)
    set_etag(response, programme.version)
    response.headers["Location"] = f"/programmes/{programme.id}"
    return (await service.reads(session=session, programmes=[programme]))[0]


@router.get("/programmes/by-code/{code}", response_model=ProgrammeRead, tags=["programmes"])
async def get_programme_by_code(
    code: str, session: ReadSessionDep, _: Reader, response: Response
) -> ProgrammeRead:
    programme = await service.get_by_code(session=session, code=code)
    set_etag(response, programme.version)
    return (await service.reads(session=session, programmes=[programme]))[0]


@router.get("/programmes/{programme_id}", response_model=ProgrammeRead, tags=["programmes"])
async def get_programme(
    programme_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> ProgrammeRead:
    programme = await service.get(session=session, programme_id=programme_id)
    set_etag(response, programme.version)
    return (await service.reads(session=session, programmes=[programme]))[0]


@router.patch("/programmes/{programme_id}", response_model=ProgrammeRead, tags=["programmes"])
async def update_programme(
    programme_id: int,
    data: ProgrammeUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> ProgrammeRead:
    programme = await service.update(
        session=session, actor=actor, programme_id=programme_id, data=data, expected_version=version
    )
    set_etag(response, programme.version)
    return (await service.reads(session=session, programmes=[programme]))[0]


@router.get("/people", response_model=Page[PersonRead], tags=["people"])
async def list_people(
    session: ReadSessionDep,
    _: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(description="part of the name or post")] = None,
) -> Page[PersonRead]:
    found = await service.list_people(session=session, page=page, q=q)
    rows, total = await counted(session, found)
    return Page(
        items=await service.person_reads(session=session, people=rows),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/people", response_model=PersonRead, status_code=status.HTTP_201_CREATED, tags=["people"]
)
async def create_person(
    data: PersonCreate, session: SessionDep, actor: Writer, response: Response
) -> PersonRead:
    person = await service.create_person(session=session, actor=actor, data=data)
    set_etag(response, person.version)
    return (await service.person_reads(session=session, people=[person]))[0]


@router.get("/people/{person_id}", response_model=PersonRead, tags=["people"])
async def get_person(
    person_id: int, session: ReadSessionDep, _: Reader, response: Response
) -> PersonRead:
    person = await service.get_person(session=session, person_id=person_id)
    set_etag(response, person.version)
    return (await service.person_reads(session=session, people=[person]))[0]


@router.patch("/people/{person_id}", response_model=PersonRead, tags=["people"])
async def update_person(
    person_id: int,
    data: PersonUpdate,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> PersonRead:
    person = await service.update_person(
        session=session, actor=actor, person_id=person_id, data=data, expected_version=version
    )
    set_etag(response, person.version)
    return (await service.person_reads(session=session, people=[person]))[0]


@router.get(
    "/programmes/{programme_id}/workstreams",
    response_model=list[WorkstreamRead],
    tags=["workstreams"],
)
async def list_workstreams(
    programme_id: int, session: ReadSessionDep, _: Reader
) -> list[WorkstreamRead]:
    await service.get(session=session, programme_id=programme_id)
    rows = await service.list_workstreams(session=session, programme_ids=[programme_id])
    return [service.workstream_read(r) for r in rows]


@router.post(
    "/programmes/{programme_id}/workstreams",
    response_model=WorkstreamRead,
    status_code=status.HTTP_201_CREATED,
    tags=["workstreams"],
)
async def add_workstream(
    programme_id: int, data: WorkstreamCreate, session: SessionDep, actor: Writer
) -> WorkstreamRead:
    workstream = await service.add_workstream(
        session=session, actor=actor, programme_id=programme_id, data=data
    )
    return service.workstream_read(workstream)


@router.get("/outcomes", response_model=list[OutcomeRead], tags=["aims"])
async def list_outcomes(
    session: ReadSessionDep,
    _: Reader,
    aim_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    portfolio_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[OutcomeRead]:
    """The plan's outcomes as records, each with the programmes that serve it."""
    aims: list[int] | None = None
    if aim_id is not None:
        aims = [aim_id]
    elif portfolio_id is not None:
        found = await service.list_aims(session=session, portfolio_id=portfolio_id)
        aims = [a.id for a in found if a.id is not None]
    return await service.outcome_reads(session=session, aim_ids=aims)


@router.put(
    "/programmes/{programme_id}/outcomes", response_model=ServedOutcomes, tags=["programmes"]
)
async def set_served_outcomes(
    programme_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    data: ServedOutcomes,
    session: SessionDep,
    actor: Writer,
    version: ExpectedVersion,
    response: Response,
) -> ServedOutcomes:
    """Say which of its plan's outcomes the programme serves; If-Match is its version."""
    ids = await service.set_served_outcomes(
        session=session,
        actor=actor,
        programme_id=programme_id,
        outcome_ids=data.outcome_ids,
        expected_version=version,
    )
    programme = await service.get(session=session, programme_id=programme_id)
    set_etag(response, programme.version)
    return ServedOutcomes(outcome_ids=ids)


@router.get("/timescales/read", response_model=TimescaleRead, tags=["timescales"])
async def read_timescale(
    session: SessionDep,
    _: Reader,
    text: Annotated[str, Query(max_length=200, description='as written, e.g. "Every 6 weeks"')],
    as_of: Annotated[date, Query(description="the day to tell the next occurrence from")],
    portfolio: Annotated[
        str | None, Query(max_length=40, description="the plan's code: anchors 'Year 2', 'Q1'")
    ] = None,
    since: Annotated[
        date | None, Query(description="when a recurrence began; default the plan's start")
    ] = None,
) -> TimescaleRead:
    """How the CPMO reads a timescale: its window, or its recurrence and next due date, or
    unknown with the reason. A recurrence in a unit no plan counts in is refused."""
    return await service.read_timescale(
        session=session, text=text, as_of=as_of, portfolio_code=portfolio, since=since
    )
