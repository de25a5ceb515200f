"""The ceiling: a bare FastAPI endpoint answering a page of 50 Pydantic items, no DB, no auth."""

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from pydantic import BaseModel


class Item(BaseModel):
    id: uuid.UUID
    name: str
    title: str | None
    description: str | None
    mime_type: str
    kind: str
    size: int
    sha256: str
    folder_id: uuid.UUID | None
    tags: list[str]
    download_count: int
    created_at: datetime
    updated_at: datetime


class ItemPage(BaseModel):
    items: list[Item]
    total: int
    page: int
    per_page: int


def _rows(count: int) -> list[dict[str, object]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "id": uuid.uuid4(),
            "name": f"photo_{index:06d}.jpg",
            "title": None,
            "description": None,
            "mime_type": "image/jpeg",
            "kind": "image",
            "size": 1_000_000 + index,
            "sha256": "ab" * 32,
            "folder_id": None,
            "tags": [],
            "download_count": 0,
            "created_at": start + timedelta(seconds=index),
            "updated_at": start + timedelta(seconds=index),
        }
        for index in range(count)
    ]


ROWS = _rows(50)
app = FastAPI()


@app.get("/items")
async def items() -> ItemPage:
    """50 items built from plain rows per request, as a service does from ORM rows."""
    return ItemPage(items=[Item.model_validate(row) for row in ROWS], total=100_000, page=1, per_page=50)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
