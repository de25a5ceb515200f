from collections.abc import AsyncIterator, Callable

import anyio
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


ClientFrom = Callable[[str], httpx.AsyncClient]


@pytest.fixture
def client_from(app: FastAPI) -> ClientFrom:
    """A client whose requests come from the given address."""

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 1234))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    return make


async def test_guesses_from_other_addresses_do_not_lock_the_owner_out(
    client_from: ClientFrom, make_user: MakeUser
) -> None:
    await make_user("alice", password="correct horse")
    for n in range(6):  # twice the per-address limit, spread over addresses
        async with client_from(f"10.0.0.{n}") as attacker:
            wrong = await attacker.post("/api/auth/login", json={"username": "alice", "password": "guess!!"})
            assert wrong.status_code == 401
    async with client_from("192.168.1.7") as owner:
        ok = await owner.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    assert ok.status_code == 200


async def test_guesses_spread_over_addresses_still_meet_the_account_limit(
    client_from: ClientFrom, make_user: MakeUser
) -> None:
    await make_user("alice", password="correct horse")
    statuses = []
    for n in range(16):  # the account bucket allows 5 x 3 failures, by username and email together
        name = "alice" if n % 2 else "Alice@Example.com"
        async with client_from(f"10.0.1.{n}") as attacker:
            response = await attacker.post("/api/auth/login", json={"username": name, "password": "guess!!"})
            statuses.append(response.status_code)
    assert statuses[:15] == [401] * 15
    assert statuses[15] == 429


async def test_concurrent_guesses_cannot_race_past_the_limit(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("alice", password="correct horse")

    async def guess() -> int:
        response = await client.post("/api/auth/login", json={"username": "alice", "password": "wrong!!"})
        return response.status_code

    async with anyio.create_task_group() as group:
        results: list[int] = []

        async def run() -> None:
            results.append(await guess())

        for _ in range(12):
            group.start_soon(run)
    assert results.count(401) <= 3
    assert results.count(429) >= 9
