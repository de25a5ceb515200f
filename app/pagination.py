"""Page[T] and the page/per_page/order parameters shared by every list endpoint."""

from typing import Annotated, Generic, Literal, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # keeps the SQL offset inside int64


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


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
