from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.conftest import MakeUser


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"login_attempts": 3}))
    async with application.router.lifespan_context(application):
        yield application


async def test_failed_logins_per_username_are_limited(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("alice", password="correct horse")
    for _ in range(3):
        response = await client.post("/api/auth/login", json={"username": "alice", "password": "wrong!!"})
        assert response.status_code == 401
    limited = await client.post("/api/auth/login", json={"username": "ALICE", "password": "correct horse"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 300


async def test_failed_logins_per_address_are_limited(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("alice", password="correct horse")
    for name in ("x1", "x2", "x3"):
        response = await client.post("/api/auth/login", json={"username": name, "password": "wrong!!"})
        assert response.status_code == 401
    limited = await client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    assert limited.status_code == 429
    assert "retry-after" in limited.headers


async def test_success_clears_the_username_counter(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("alice", password="correct horse")
    await client.post("/api/auth/login", json={"username": "alice", "password": "wrong!!"})
    ok = await client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    assert ok.status_code == 200
    for _ in range(2):
        response = await client.post("/api/auth/login", json={"username": "alice", "password": "wrong!!"})
        assert response.status_code == 401
