from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

CountRows = Callable[[Any], Awaitable[int]]


@pytest.fixture
def count_rows(app: FastAPI) -> CountRows:
    """Rows of an ORM model, read through a fresh session of the app under test."""

    async def count(model: Any) -> int:
        async with app.state.session_factory() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    return count
