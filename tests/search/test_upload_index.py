"""The index follows real uploads and the files API's edits."""

import httpx
import pytest

from app.library.search_text import TEXT_LIMIT
from tests.conftest import MakeUser, UserHandle
from tests.search.conftest import Upload

pytestmark = pytest.mark.anyio


async def found(client: httpx.AsyncClient, user: UserHandle, q: str) -> list[str]:
    response = await client.get("/api/search", params={"q": q}, headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def alice(make_user: MakeUser) -> UserHandle:
    return await make_user("alice")


async def test_text_of_an_uploaded_text_file_is_searchable(
    client: httpx.AsyncClient, alice: UserHandle, upload: Upload
) -> None:
    notes = await upload(alice, "notes.txt", b"minutes of the pelican committee\n")
    response = await client.get("/api/search", params={"q": "pelican"}, headers=alice.headers)
    [hit] = response.json()["items"]
    assert hit["id"] == notes["id"]
    assert {key for key in notes} <= set(hit)  # the File shape ...
    assert hit["score"] > 0  # ... plus score


async def test_only_the_first_mib_of_text_is_indexed(
    client: httpx.AsyncClient, alice: UserHandle, upload: Upload
) -> None:
    head = b"early marmoset\n" + b"filler line\n" * (TEXT_LIMIT // 12)
    body = head[:TEXT_LIMIT] + b" late capybara\n"
    big = await upload(alice, "big.txt", body)
    assert await found(client, alice, "marmoset") == [big["id"]]
    assert await found(client, alice, "capybara") == []


async def test_undecodable_bytes_do_not_stop_indexing(
    client: httpx.AsyncClient, alice: UserHandle, upload: Upload
) -> None:
    latin1 = await upload(alice, "latin.txt", "smörgåsbord résumé\n".encode("latin-1"))
    assert await found(client, alice, "sm*") == [latin1["id"]]


async def test_binary_files_have_no_body_text(
    client: httpx.AsyncClient, alice: UserHandle, upload: Upload
) -> None:
    from tests.files.helpers import png_bytes

    image = await upload(alice, "sunset.png", png_bytes())
    assert await found(client, alice, "sunset") == [image["id"]]
    assert await found(client, alice, "IHDR") == []


async def test_index_follows_rename_tags_trash_restore_and_delete(
    client: httpx.AsyncClient, alice: UserHandle, upload: Upload
) -> None:
    file = await upload(alice, "draft.txt", b"body text\n")
    url = f"/api/files/{file['id']}"
    patched = await client.patch(url, json={"name": "final.txt", "tags": ["Ocelot"]}, headers=alice.headers)
    assert patched.status_code == 200, patched.text
    assert await found(client, alice, "draft") == []
    assert await found(client, alice, "final ocelot") == [file["id"]]
    assert (await client.patch(url, json={"tags": ["lynx"]}, headers=alice.headers)).status_code == 200
    assert await found(client, alice, "ocelot") == []
    assert await found(client, alice, "lynx") == [file["id"]]
    assert (await client.delete(url, headers=alice.headers)).status_code == 204
    assert await found(client, alice, "final") == []
    assert (await client.post(f"{url}/restore", headers=alice.headers)).status_code == 200
    assert await found(client, alice, "final") == [file["id"]]
    deleted = await client.delete(url, params={"permanent": "true"}, headers=alice.headers)
    assert deleted.status_code == 204
    assert await found(client, alice, "final OR lynx OR body") == []
