import uuid

import httpx
import pytest

from tests.conftest import MakeUser
from tests.folders.conftest import MakeFolder, Rows

# Parametrized async tests need the marker at collection time (the root conftest adds it too late).
pytestmark = pytest.mark.anyio


async def test_create_top_level_folder(client: httpx.AsyncClient, make_user: MakeUser, rows: Rows) -> None:
    alice = await make_user("alice")
    response = await client.post(
        "/api/folders", json={"name": "Photos", "description": "holidays"}, headers=alice.headers
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Photos"
    assert body["description"] == "holidays"
    assert body["parent_id"] is None
    assert (body["file_count"], body["total_size"], body["folder_count"]) == (0, 0, 0)
    assert body["children"] == []
    assert body["path"] == []
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")
    stored = await rows.folders(alice.id)
    assert [(str(f.id), f.name, f.parent_id) for f in stored] == [(body["id"], "Photos", None)]


async def test_create_inside_parent_reports_path(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    top = await make_folder(alice, "top")
    mid = await make_folder(alice, "mid", top)
    leaf = await make_folder(alice, "leaf", mid)
    assert leaf["parent_id"] == mid["id"]
    assert leaf["path"] == [{"id": top["id"], "name": "top"}, {"id": mid["id"], "name": "mid"}]


@pytest.mark.parametrize(
    ("first", "second"), [("Photos", "photos"), ("Photos", "PHOTOS"), ("straße", "STRASSE")]
)
async def test_sibling_with_same_name_case_insensitively_is_409(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_folder: MakeFolder,
    rows: Rows,
    first: str,
    second: str,
) -> None:
    alice = await make_user("alice")
    parent = await make_folder(alice, "parent")
    await make_folder(alice, first, parent)
    response = await client.post(
        "/api/folders", json={"name": second, "parent_id": parent["id"]}, headers=alice.headers
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "folder_exists"
    assert len(await rows.folders(alice.id)) == 2


async def test_same_name_at_top_level_is_409(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    await make_folder(alice, "Docs")
    response = await client.post("/api/folders", json={"name": "docs"}, headers=alice.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "folder_exists"


async def test_same_name_is_fine_under_another_parent_or_owner(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    first = await make_folder(alice, "Docs")
    await make_folder(alice, "Docs", first)
    await make_folder(bob, "Docs")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        ".",
        "..",
        " .. ",
        "...",
        "zero\u200bwidth",
        "mark\u200e",
        "  trailing tab\t",
        "a/b",
        "/",
        "a\\b",
        "a\x00b",
        "a\nb",
        "tab\there",
        "del\x7f",
        "c1\x85",
        "line\u2028sep",
        "evil\u202egpj.exe",
        "iso\u2066late",
        "x" * 256,
    ],
)
async def test_invalid_name_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, rows: Rows, name: str
) -> None:
    alice = await make_user("alice")
    response = await client.post("/api/folders", json={"name": name}, headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert await rows.folders(alice.id) == []


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("x" * 255, "x" * 255),
        ("  padded  ", "padded"),
        ("v1.0 draft", "v1.0 draft"),
        (".hidden", ".hidden"),
        ("Fotos 📷", "Fotos 📷"),
        ("cafe\u0301", "caf\u00e9"),
    ],
)
async def test_valid_name_is_stored_normalised(
    client: httpx.AsyncClient, make_user: MakeUser, sent: str, stored: str
) -> None:
    alice = await make_user("alice")
    response = await client.post("/api/folders", json={"name": sent}, headers=alice.headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == stored


async def test_composed_and_decomposed_names_clash(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    await make_folder(alice, "caf\u00e9")
    response = await client.post("/api/folders", json={"name": "CAFE\u0301"}, headers=alice.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "folder_exists"


async def test_unknown_parent_is_404(client: httpx.AsyncClient, make_user: MakeUser, rows: Rows) -> None:
    alice = await make_user("alice")
    body = {"name": "child", "parent_id": str(uuid.uuid4())}
    response = await client.post("/api/folders", json=body, headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "folder_not_found"
    assert await rows.folders(alice.id) == []


async def test_foreign_parent_is_404_like_a_missing_one(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    bobs = await make_folder(bob, "private")
    response = await client.post(
        "/api/folders", json={"name": "child", "parent_id": bobs["id"]}, headers=alice.headers
    )
    assert response.status_code == 404
    assert response.json()["code"] == "folder_not_found"
    assert await rows.folders(alice.id) == []
    assert len(await rows.folders(bob.id)) == 1


async def test_unknown_fields_and_bad_ids_are_422(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    extra = await client.post("/api/folders", json={"name": "a", "owner_id": alice.id}, headers=alice.headers)
    assert extra.status_code == 422
    bad_parent = await client.post(
        "/api/folders", json={"name": "a", "parent_id": "nope"}, headers=alice.headers
    )
    assert bad_parent.status_code == 422


async def test_folders_need_a_token(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("POST", "/api/folders"),
        ("GET", "/api/folders"),
        ("GET", f"/api/folders/{uuid.uuid4()}"),
        ("PATCH", f"/api/folders/{uuid.uuid4()}"),
        ("DELETE", f"/api/folders/{uuid.uuid4()}"),
    ]:
        response = await client.request(method, path, json={"name": "x"})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
