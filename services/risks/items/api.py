"""REST for assumptions, issues and dependencies: the same five routes for each register.

(No postponed annotations here: the routes are built per register and FastAPI must see each
register's own body models, which are local variables.)"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from sqlmodel import SQLModel

from services.common.auth import Reader, Writer
from services.common.db import SessionDep
from services.common.etag import ExpectedVersion, set_etag
from services.common.pagination import Page, PageDep, counted
from services.risks.api_support import Upstream
from services.risks.asof import ReadSessionDep
from services.risks.items import service
from services.risks.items.schemas import (
    AssumptionCreate,
    AssumptionRead,
    AssumptionUpdate,
    DependencyCreate,
    DependencyRead,
    DependencyUpdate,
    IssueCreate,
    IssueRead,
    IssueUpdate,
)
from services.risks.vocabulary import AssumptionStatus, DependencyStatus, IssueStatus, RaidKind

router = APIRouter()


def _register(
    kind: RaidKind,
    path: str,
    create_model: type[SQLModel],
    update_model: type[SQLModel],
    read_model: type[SQLModel],
    status_enum: Any,
) -> None:
    tag = path.strip("/")

    async def read(session: Any, row: Any) -> Any:
        return await service.read(session=session, kind=kind, row=row)

    @router.get(path, response_model=Page[read_model], tags=[tag], name=f"list_{tag}")  # type: ignore[valid-type]
    async def list_items(
        session: ReadSessionDep,
        _: Reader,
        page: PageDep,
        programme_id: Annotated[int | None, Query(ge=1)] = None,
        status: status_enum | None = None,
    ) -> Any:
        found = await service.list_items(
            session=session,
            kind=kind,
            page=page,
            programme_id=programme_id,
            status=None if status is None else status.value,
        )
        rows, total = await counted(session, found)
        items = [await read(session, r) for r in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)

    @router.post(
        path,
        response_model=read_model,
        status_code=status.HTTP_201_CREATED,
        tags=[tag],
        name=f"create_{kind.value}",
    )
    async def create_item(
        data: Annotated[create_model, Body()],  # type: ignore[valid-type]
        session: SessionDep,
        actor: Writer,
        upstream: Upstream,
        response: Response,
    ) -> Any:
        row = await service.create(session=session, actor=actor, kind=kind, data=data, **upstream)
        set_etag(response, row.version)
        response.headers["Location"] = f"{path}/{row.id}"
        return await read(session, row)

    @router.get(
        f"{path}/by-code/{{code}}",
        response_model=read_model,
        tags=[tag],
        name=f"{kind.value}_by_code",
    )
    async def get_by_code(code: str, session: ReadSessionDep, _: Reader, response: Response) -> Any:
        row = await service.get_by_code(session=session, kind=kind, code=code)
        set_etag(response, row.version)
        return await read(session, row)

    @router.get(
        f"{path}/{{item_id}}", response_model=read_model, tags=[tag], name=f"get_{kind.value}"
    )
    async def get_item(item_id: int, session: ReadSessionDep, _: Reader, response: Response) -> Any:
        row = await service.get(session=session, kind=kind, item_id=item_id)
        set_etag(response, row.version)
        return await read(session, row)

    @router.patch(
        f"{path}/{{item_id}}", response_model=read_model, tags=[tag], name=f"update_{kind.value}"
    )
    async def update_item(
        item_id: int,
        data: Annotated[update_model, Body()],  # type: ignore[valid-type]
        session: SessionDep,
        actor: Writer,
        version: ExpectedVersion,
        upstream: Upstream,
        response: Response,
    ) -> Any:
        row = await service.update(
            session=session,
            actor=actor,
            kind=kind,
            item_id=item_id,
            data=data,
            expected_version=version,
            **upstream,
        )
        set_etag(response, row.version)
        return await read(session, row)


_register(
    RaidKind.assumption,
    "/assumptions",
    AssumptionCreate,
    AssumptionUpdate,
    AssumptionRead,
    AssumptionStatus,
)
_register(RaidKind.issue, "/issues", IssueCreate, IssueUpdate, IssueRead, IssueStatus)
_register(
    RaidKind.dependency,
    "/dependencies",
    DependencyCreate,
    DependencyUpdate,
    DependencyRead,
    DependencyStatus,
)
