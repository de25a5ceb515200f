import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.models import User
from tests.conftest import MakeUser, UserHandle

Upload = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
async def admin(make_user: MakeUser, app: FastAPI) -> UserHandle:
    handle = await make_user("root")
    async with app.state.session_factory() as session:
        await session.execute(update(User).where(User.id == uuid.UUID(handle.id)).values(is_admin=True))
        await session.commit()
    return handle


@pytest.fixture
def upload(client: httpx.AsyncClient) -> Upload:
    async def send(user: UserHandle, name: str, content: bytes) -> dict[str, Any]:
        response = await client.post("/api/upload", headers=user.headers, files={"files": (name, content)})
        assert response.status_code == 201, response.text
        file: dict[str, Any] = response.json()["files"][0]
        return file

    return send
