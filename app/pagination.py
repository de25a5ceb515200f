"""Page[T] and the page/per_page/order parameters shared by every list endpoint; keyset cursors."""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Generic, Literal, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from app.errors import Unprocessable

T = TypeVar("T")
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # keeps the SQL offset inside int64


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class CursorPage(Page[T], Generic[T]):
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` for the next page (found by position, not offset); null on the last",
    )


class PageParams(BaseModel):
    page: int
    per_page: int
    order: Literal["asc", "desc"]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


# async although it awaits nothing: FastAPI runs a sync dependency in a worker thread
async def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> PageParams:
    return PageParams(page=page, per_page=per_page, order=order)


PageDep = Annotated[PageParams, Depends(page_params)]


CURSOR_HELP = (
    "`next_cursor` of the previous page: the page after it, read without an offset (page is then ignored)"
)
CursorQuery = Annotated[str | None, Query(max_length=512, description=CURSOR_HELP)]
Position = str | int | None


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the sort key's value and id of its last row, in one sort and order; `page`
    is the number of the page it leads to."""

    ordering: str
    value: Position
    last_id: uuid.UUID
    page: int

    def encode(self) -> str:
        raw = json.dumps([self.ordering, self.value, self.last_id.hex, self.page], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, *, ordering: str) -> "Cursor":
        """The cursor `text` names, refused (422 `invalid_cursor`) unless made for `ordering`."""
        try:
            fields = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            made_for, value, last_id, page = fields
            cursor = cls(made_for, value, uuid.UUID(hex=last_id), page)
        except (binascii.Error, ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise invalid_cursor() from exc
        valid_value = value is None or (isinstance(value, str | int) and not isinstance(value, bool))
        valid_page = isinstance(page, int) and not isinstance(page, bool) and 1 <= page <= MAX_PAGE
        if made_for != ordering or not valid_value or not valid_page:
            raise invalid_cursor()
        return cursor


def invalid_cursor() -> Unprocessable:
    return Unprocessable(
        "the cursor is malformed or was made for another sort or order", code="invalid_cursor"
    )
