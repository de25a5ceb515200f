import hashlib

import httpx

from app.config import Settings
from app.models import Activity, File
from app.storage import keys
from tests.conftest import MakeUser
from tests.files.conftest import CountRows
from tests.files.helpers import (
    jpeg_bytes,
    left_parts,
    multipart,
    multipart_headers,
    part,
    png_bytes,
    read_blobs,
    stored_blobs,
)


async def test_upload_stores_bytes_and_rows(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    image = png_bytes()
    text = b"hello atrium\n"
    response = await client.post(
        "/api/upload",
        headers=alice.headers,
        files=[("files", ("photo.png", image, "image/png")), ("files", ("notes.txt", text, "text/plain"))],
    )
    assert response.status_code == 201, response.text
    photo, notes = response.json()["files"]
    assert photo["name"] == "photo.png"
    assert photo["mime_type"] == "image/png"
    assert photo["kind"] == "image"
    assert photo["size"] == len(image)
    assert photo["sha256"] == hashlib.sha256(image).hexdigest()
    assert photo["duplicate_of"] is None
    assert photo["urls"] == {
        "download": f"/api/files/{photo['id']}/download",
        "preview": f"/api/files/{photo['id']}/preview",
        "thumbnail": None,  # signed thumbnail URLs only with SIGNED_URL_SECONDS
    }
    assert notes["mime_type"] == "text/plain"
    assert notes["kind"] == "text"
    on_disk = await stored_blobs(settings, keys.ORIGINALS)  # renditions: the photo's small thumbnail
    assert len(on_disk) == 2
    assert sorted(await read_blobs(settings, on_disk)) == sorted([image, text])
    assert all("photo" not in key and "notes" not in key for key in on_disk)
    assert await left_parts(settings) == []
    assert await count_rows(File) == 2
    assert await count_rows(Activity) == 2


async def test_single_file_field_and_content_decides_type(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    response = await client.post(
        "/api/upload",
        headers=alice.headers,
        files={"file": ("holiday.png", jpeg_bytes(), "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    (item,) = response.json()["files"]
    assert item["name"] == "holiday.png"
    assert item["mime_type"] == "image/jpeg"


async def test_duplicate_points_at_earliest_live_copy(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    bob = await make_user("bob")
    data = b"same bytes\n"
    first = (await client.post("/api/upload", headers=alice.headers, files={"file": ("a.txt", data)})).json()
    second = (await client.post("/api/upload", headers=alice.headers, files={"file": ("b.txt", data)})).json()
    third = (await client.post("/api/upload", headers=alice.headers, files={"file": ("c.txt", data)})).json()
    other = (await client.post("/api/upload", headers=bob.headers, files={"file": ("a.txt", data)})).json()
    first_id = first["files"][0]["id"]
    assert first["files"][0]["duplicate_of"] is None
    assert second["files"][0]["duplicate_of"] == first_id
    assert third["files"][0]["duplicate_of"] == first_id
    assert other["files"][0]["duplicate_of"] is None


async def test_hand_built_body_with_folder_field_root(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user()
    body = multipart([part("folder_id", b"root"), part("files", b"a,b,c\n1,2,3\n4,5,6\n", filename="t.csv")])
    response = await client.post("/api/upload", headers=multipart_headers(alice.headers), content=body)
    assert response.status_code == 201, response.text
    assert response.json()["files"][0]["folder_id"] is None
    assert response.json()["files"][0]["mime_type"] == "text/csv"
    assert len(await stored_blobs(settings)) == 1


async def test_upload_requires_token(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.post("/api/upload", files={"file": ("a.txt", b"hi")})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert await stored_blobs(settings) == []


async def test_openapi_describes_file_picker(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    body = schema["paths"]["/api/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["files"] == {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "description": body["properties"]["files"]["description"],
    }
    assert "folder_id" in body["properties"]
    assert body["required"] == ["files"]
