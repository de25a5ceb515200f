"""The change mark the sign-in cache trusts: shared through the file, moved by every write to a
user or a session and by nothing else."""

import os
import sqlite3
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.auth.cache import MAX_ENTRIES, TTL_SECONDS, TokenCache, attach
from app.config import Settings
from app.db import create_engine, utcnow
from app.models import AuthSession, User
from app.sqliteepoch import Epoch, _writes_to, epoch_of
from tests.conftest import MakeUser, sqlite_only
from tests.servers import Server, server_pair

pytestmark = pytest.mark.anyio


def test_two_mappings_of_one_file_see_each_others_marks(tmp_path: Path) -> None:
    one, other = Epoch(tmp_path / "db-epoch"), Epoch(tmp_path / "db-epoch")
    before = other.read()
    one.advance()
    assert other.read() == one.read() != before
    one.close()
    one.advance()  # mapped again after a dispose
    assert other.read() == one.read()
    other.close()
    one.close()


@sqlite_only
async def test_only_writes_to_users_and_sessions_move_the_mark(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    epoch = epoch_of(app.state.engine)
    assert epoch is not None
    alice = await make_user()
    mark = epoch.read()
    assert (await client.get("/api/files", headers=alice.headers)).status_code == 200
    uploaded = await client.post("/api/upload", headers=alice.headers, files={"files": ("a.txt", b"a\n")})
    assert uploaded.status_code == 201  # its owner's row lock is an UPDATE that changes nothing
    assert epoch.read() == mark

    preferences = {"preferences": {"default_album_privacy": "public"}}
    assert (await client.patch("/api/auth/user", headers=alice.headers, json=preferences)).status_code == 200
    assert epoch.read() != mark
    mark = epoch.read()
    assert (await client.post("/api/auth/logout", headers=alice.headers)).status_code == 204
    assert epoch.read() != mark


WATCHED = ("user", "auth_session")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE user SET is_admin=? WHERE user.id = ?",
        'UPDATE "user" SET is_admin=1',
        "DELETE FROM auth_session",
        "DELETE FROM auth_session;",
        "UPDATE OR IGNORE user SET email=?",
        "UPDATE main.user SET email=?",
        "UPDATE [user] SET email=?",
        "UPDATE `auth_session` SET revoked_at=?",
        "/* c */ UPDATE user SET email=?",
        "WITH gone AS (SELECT 1) UPDATE auth_session SET revoked_at=?",
        "INSERT INTO user (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET email=excluded.email",
        "INSERT OR REPLACE INTO user (id) VALUES (?)",
        "REPLACE INTO auth_session (id) VALUES (?)",
        "insert into auth_session(id) values (?)",
    ],
)
def test_a_write_to_a_watched_table_is_seen_in_any_form(statement: str) -> None:
    assert _writes_to(WATCHED).search(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT user.id FROM user JOIN auth_session ON auth_session.user_id = user.id",
        "UPDATE file SET owner_id=? WHERE EXISTS (SELECT 1 FROM user WHERE user.id = ?)",
        "INSERT INTO activity (owner_id, actor_id) SELECT ?, ? WHERE EXISTS (SELECT * FROM user)",
        "UPDATE user_preferences SET x=?",
        "DELETE FROM auth_sessions_archive",
    ],
)
def test_reads_and_other_tables_are_not(statement: str) -> None:
    assert not _writes_to(WATCHED).search(statement)


def test_a_file_uri_database_gets_no_mark(tmp_path: Path) -> None:
    """Its processes could not share one, so nothing may be kept for it."""
    engine = create_engine(f"sqlite+aiosqlite:///file:{tmp_path / 'uri.db'}?uri=true")
    assert epoch_of(engine) is None


def entry_for(cache: TokenCache, epoch: Epoch, token: str, *, token_expires_at: int) -> None:
    user = User(id=uuid.uuid4(), username="ann", username_key="ann", email="a@example.com", password_hash="x")
    user.preferences = {"theme": "dark"}
    auth_session = AuthSession(id=uuid.uuid4(), user_id=user.id, expires_at=utcnow() + timedelta(hours=1))
    cache.keep(
        token, mark=epoch.read(), token_expires_at=token_expires_at, user=user, auth_session=auth_session
    )


def test_a_kept_sign_in_lapses_with_the_mark_its_age_or_its_token(monkeypatch: pytest.MonkeyPatch) -> None:
    epoch = Epoch(None)
    cache = TokenCache(epoch)
    later = int(time.time()) + 3600
    entry_for(cache, epoch, "a", token_expires_at=later)
    assert cache.find("a") is not None
    epoch.advance()
    assert cache.find("a") is None

    entry_for(cache, epoch, "b", token_expires_at=int(time.time()) - 1)
    assert cache.find("b") is None  # the token itself has expired

    entry_for(cache, epoch, "c", token_expires_at=later)
    now = time.monotonic()
    monkeypatch.setattr("app.auth.cache.time.monotonic", lambda: now + TTL_SECONDS + 1)
    assert cache.find("c") is None


def test_the_cache_keeps_at_most_its_bound() -> None:
    epoch = Epoch(None)
    cache = TokenCache(epoch)
    later = int(time.time()) + 3600
    for n in range(MAX_ENTRIES + 2):
        entry_for(cache, epoch, f"t{n}", token_expires_at=later)
    assert cache.find("t0") is None  # the oldest went first
    assert cache.find(f"t{MAX_ENTRIES + 1}") is not None


@sqlite_only
def test_server_processes_keep_sign_ins_until_the_mark_moves(settings: Settings) -> None:
    """A write made beside Atrium (plain sqlite3, no mark) is not seen while the sign-in is kept:
    proof the servers keep it. Moving the mark is enough for both to read it again."""
    with server_pair(settings) as (first, second):
        bob = first.register("bob")
        alice_id = first.get("/api/auth/user", second.register("alice"))["id"]
        quota_url = f"/api/admin/users/{alice_id}/quota"
        for server in (first, second, first, second):
            assert admin_call(server, quota_url, bob) == 403
        database = settings.database_url.split("///", 1)[1]
        with sqlite3.connect(database) as raw:
            raw.execute("UPDATE user SET is_admin = 1 WHERE username = 'bob'")
        assert [admin_call(first, quota_url, bob), admin_call(second, quota_url, bob)] == [403, 403]
        Epoch(Path(f"{os.path.realpath(database)}-epoch")).advance()
        assert [admin_call(first, quota_url, bob), admin_call(second, quota_url, bob)] == [200, 200]


def admin_call(server: Server, path: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.put(f"{server.url}{path}", headers=headers, json={"storage_quota": 1024**3}, timeout=10)
    return response.status_code


async def test_each_request_gets_its_own_copy_of_the_kept_rows(app: FastAPI) -> None:
    epoch = Epoch(None)
    cache = TokenCache(epoch)
    entry_for(cache, epoch, "a", token_expires_at=int(time.time()) + 3600)
    entry = cache.find("a")
    assert entry is not None
    async with app.state.session_factory() as one, app.state.session_factory() as other:
        first, _ = await attach(one, entry)
        first.preferences["theme"] = "light"  # changed in place, as a careless route might
        second, _ = await attach(other, entry)
        assert second.preferences == {"theme": "dark"}
        assert first is not entry.user
    assert entry.user.preferences == {"theme": "dark"}
