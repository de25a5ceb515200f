"""A sign-in a server has checked may be kept, but never past a change: a logout, an administrator's
change to a user or a write made by another process acts on the very next request, in every
server process on the database."""

import httpx
import pytest
from sqlalchemy import update

from app.config import Settings
from app.db import create_engine
from app.models import User
from tests.servers import Server, server_pair

pytestmark = pytest.mark.anyio
GIB = 1024**3


def call(server: Server, method: str, path: str, token: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{server.url}{path}", headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def quota_seen(server: Server, token: str) -> int:
    response = call(server, "GET", "/api/auth/user", token)
    assert response.status_code == 200, response.text
    quota: int = response.json()["stats"]["storage_quota"]
    return quota


def warm(servers: tuple[Server, Server], token: str) -> None:
    """Enough requests that every server has seen (and may keep) the sign-in."""
    for _ in range(5):
        for server in servers:
            assert call(server, "GET", "/api/auth/user", token).status_code == 200


async def promote(settings: Settings, username: str) -> None:
    """A write from a process that is neither server, as `atrium` commands make."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(User).where(User.username == username).values(is_admin=True))
    finally:
        await engine.dispose()


async def test_changes_act_on_the_next_request_in_every_process(settings: Settings) -> None:
    with server_pair(settings) as (first, second):
        alice = first.register("alice")
        bob = second.register("bob")
        warm((first, second), alice)
        warm((first, second), bob)
        alice_id = first.get("/api/auth/user", alice)["id"]
        refused = call(second, "PUT", f"/api/admin/users/{alice_id}/quota", bob, json={"storage_quota": GIB})
        assert refused.status_code == 403
        assert refused.json()["code"] == "admin_required"

        await promote(settings, "bob")
        for server in (first, second):  # bob's kept sign-in said "not an administrator"
            quota = {"storage_quota": 3 * GIB}
            assert (
                call(server, "PUT", f"/api/admin/users/{alice_id}/quota", bob, json=quota).status_code == 200
            )

        changed = call(
            first, "PUT", f"/api/admin/users/{alice_id}/quota", bob, json={"storage_quota": 2 * GIB}
        )
        assert changed.status_code == 200, changed.text
        assert [quota_seen(second, alice), quota_seen(first, alice)] == [2 * GIB, 2 * GIB]

        assert call(second, "POST", "/api/auth/logout", alice).status_code == 204
        for server in (first, second, first, second):
            ended = call(server, "GET", "/api/auth/user", alice)
            assert ended.status_code == 401
            assert ended.json()["code"] == "invalid_token"
        assert quota_seen(first, bob) > 0  # bob's own session goes on


async def test_a_kept_sign_in_does_not_vouch_for_an_altered_token(settings: Settings) -> None:
    with server_pair(settings) as (first, second):
        alice = first.register("alice")
        warm((first, second), alice)
        forged = alice[:-4] + ("AAAA" if not alice.endswith("AAAA") else "BBBB")
        for server in (first, second):
            refused = call(server, "GET", "/api/auth/user", forged)
            assert refused.status_code == 401
            assert refused.json()["code"] == "invalid_token"
            assert call(server, "GET", "/api/auth/user", alice).status_code == 200
