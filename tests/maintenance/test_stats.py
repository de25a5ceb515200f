"""GET /api/storage/stats and the administrator's quota override, through real uploads."""

import uuid

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.models import Folder
from tests.conftest import ON_S3, MakeUser, UserHandle
from tests.files.helpers import left_parts, png_bytes, stored_blobs
from tests.maintenance.conftest import Upload

pytestmark = pytest.mark.anyio


async def test_stats_count_live_files_by_type_and_folder(
    client: httpx.AsyncClient, make_user: MakeUser, upload: Upload, app: FastAPI, settings: Settings
) -> None:
    alice = await make_user("alice")
    async with app.state.session_factory() as session:
        folder = Folder(owner_id=uuid.UUID(alice.id), name="Notes")
        session.add(folder)
        await session.commit()
    image = png_bytes()
    photo = await upload(alice, "a.png", image)
    note = await client.post(
        "/api/upload",
        headers=alice.headers,
        files={"files": ("n.txt", b"note one\n")},
        data={"folder_id": str(folder.id)},
    )
    assert note.status_code == 201
    trashed = await upload(alice, "old.txt", b"trashed text\n")
    assert (await client.delete(f"/api/files/{trashed['id']}", headers=alice.headers)).status_code == 204
    await make_user("bob")  # another user's nothing does not show up

    response = await client.get("/api/storage/stats", headers=alice.headers)
    assert response.status_code == 200
    stats = response.json()
    assert stats["total_files"] == 2
    assert stats["total_size"] == len(image) + 9
    assert stats["by_type"] == [
        {"type": "image", "count": 1, "size": len(image)},
        {"type": "text", "count": 1, "size": 9},
    ]
    assert stats["by_folder"] == [
        {"folder_id": None, "name": "root", "count": 1, "size": len(image)},
        {"folder_id": str(folder.id), "name": "Notes", "count": 1, "size": 9},
    ]
    assert [entry["action"] for entry in stats["recent_activity"]] == ["delete", "upload", "upload", "upload"]
    assert stats["recent_activity"][0]["file_id"] == trashed["id"]
    assert stats["recent_activity"][-1]["file_id"] == photo["id"]
    assert stats["quota"] == {"used": len(image) + 9 + 13, "limit": settings.default_storage_quota}
    if ON_S3:  # an object store has no bound to report
        assert stats["disk"] == {"free": 0, "total": 0}
    else:
        assert 0 < stats["disk"]["free"] <= stats["disk"]["total"]


async def test_stats_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/storage/stats")).status_code == 401


async def test_admin_sets_and_clears_a_quota(
    client: httpx.AsyncClient, make_user: MakeUser, admin: UserHandle, settings: Settings
) -> None:
    alice = await make_user("alice")
    url = f"/api/admin/users/{alice.id}/quota"
    response = await client.put(url, json={"storage_quota": 1234}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": alice.id,
        "username": "alice",
        "storage_quota": 1234,
        "limit": 1234,
        "used": 0,
    }
    stats = (await client.get("/api/storage/stats", headers=alice.headers)).json()
    assert stats["quota"]["limit"] == 1234
    me = (await client.get("/api/auth/user", headers=alice.headers)).json()
    assert me["stats"]["storage_quota"] == 1234
    cleared = await client.put(url, json={"storage_quota": None}, headers=admin.headers)
    assert cleared.json()["limit"] == settings.default_storage_quota


async def test_quota_refusals(client: httpx.AsyncClient, make_user: MakeUser, admin: UserHandle) -> None:
    alice = await make_user("alice")
    url = f"/api/admin/users/{alice.id}/quota"
    forbidden = await client.put(url, json={"storage_quota": 1}, headers=alice.headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "admin_required"
    unknown = await client.put(
        f"/api/admin/users/{uuid.uuid4()}/quota", json={"storage_quota": 1}, headers=admin.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "user_not_found"
    negative = await client.put(url, json={"storage_quota": -1}, headers=admin.headers)
    assert negative.status_code == 422


async def test_upload_quota_boundary(
    client: httpx.AsyncClient, make_user: MakeUser, admin: UserHandle, upload: Upload, settings: Settings
) -> None:
    alice = await make_user("alice")
    response = await client.put(
        f"/api/admin/users/{alice.id}/quota", json={"storage_quota": 1000}, headers=admin.headers
    )
    assert response.status_code == 200
    await upload(alice, "a.txt", b"a" * 996 + b"\n")
    await upload(alice, "b.txt", b"x\n")  # 999 bytes stored: one byte under the quota
    before = await stored_blobs(settings)
    over = await client.post("/api/upload", headers=alice.headers, files={"files": ("c.txt", b"y\n")})
    assert over.status_code == 413  # 1001 bytes: one byte over
    assert over.json()["code"] == "quota_exceeded"
    assert await stored_blobs(settings) == before
    assert await left_parts(settings) == []
    listing = (await client.get("/api/files", headers=alice.headers)).json()
    assert sorted(file["name"] for file in listing["items"]) == ["a.txt", "b.txt"]
    stats = (await client.get("/api/storage/stats", headers=alice.headers)).json()
    assert stats["quota"] == {"used": 999, "limit": 1000}


async def test_openapi_documents_search_stats_and_admin_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "score" in str((await client.get("/openapi.json")).json()["components"]["schemas"]["SearchHit"])
    assert "q" in [param["name"] for param in paths["/api/search"]["get"]["parameters"]]
    assert "200" in paths["/api/storage/stats"]["get"]["responses"]
    for endpoint in ("sweep", "orphans", "purge-trash", "verify"):
        responses = paths[f"/api/admin/maintenance/{endpoint}"]["post"]["responses"]
        assert {"200", "401", "403"} <= set(responses)
    assert "403" in paths["/api/admin/users/{user_id}/quota"]["put"]["responses"]
