from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from app.db import SessionDep
from app.errors import ServiceUnavailable
from app.problems import problems

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive."""
    return Health()


@router.get("/readyz", responses=problems("database_unavailable", "storage_unavailable"))
async def readyz(request: Request, session: SessionDep) -> Health:
    """The database and the storage answer."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable("the database does not answer", code="database_unavailable") from exc
    try:
        await request.app.state.storage.check()
    except Exception as exc:
        raise ServiceUnavailable("the storage cannot be written", code="storage_unavailable") from exc
    return Health()
