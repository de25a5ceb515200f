"""The change mark the sign-in cache trusts: shared through the file, moved by every write to a
user or a session and by nothing else."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.sqliteepoch import Epoch, epoch_of
from tests.conftest import MakeUser, sqlite_only

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
