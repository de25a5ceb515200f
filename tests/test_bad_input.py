"""Hostile values that once reached the database or int() unchecked: each is a 4xx or ignored, never 500."""

import httpx
import pytest

from tests.conftest import MakeUser, UserHandle
from tests.gallery import upload


@pytest.fixture
async def alice(make_user: MakeUser) -> UserHandle:
    return await make_user("alice")


async def test_huge_range_numbers_are_ignored(client: httpx.AsyncClient, alice: UserHandle) -> None:
    file_id = (await upload(client, alice, "a.txt", b"hello range\n"))["id"]
    for header in ("bytes=-" + "9" * 5000, "bytes=" + "9" * 30 + "-", "bytes=0-" + "1" * 40):
        response = await client.get(
            f"/api/files/{file_id}/download", headers={**alice.headers, "Range": header}
        )
        assert response.status_code == 200, header
        assert response.content == b"hello range\n"


@pytest.mark.parametrize(
    "params",
    [
        {"page": str(10**18)},
        {"page": "1000001"},
        {"min_size": str(10**20)},
        {"max_size": str(2**63)},
    ],
)
async def test_out_of_range_numbers_are_422(
    client: httpx.AsyncClient, alice: UserHandle, params: dict[str, str]
) -> None:
    for path in ("/api/files", "/api/search?q=x"):
        response = await client.get(path, params=params, headers=alice.headers)
        assert response.status_code == 422, (path, params)
        assert response.json()["code"] == "validation_error"


async def test_anonymous_page_overflow_is_422(client: httpx.AsyncClient, alice: UserHandle) -> None:
    response = await client.get("/api/images", params={"user_id": alice.id, "page": str(10**18)})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/files", {"created_before": "0001-01-01T00:00:00+14:00"}),
        ("/api/files", {"created_after": "9999-12-31T23:59:59-12:00"}),
        ("/api/images", {"taken_after": "9999-12-31T23:59:59-12:00"}),
        ("/api/images", {"taken_before": "0001-01-01T00:00:00+14:00"}),
    ],
)
async def test_timestamps_at_the_ends_of_the_calendar(
    client: httpx.AsyncClient, alice: UserHandle, path: str, params: dict[str, str]
) -> None:
    await upload(client, alice, "a.txt", b"x\n")
    response = await client.get(path, params=params, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_lone_surrogates_are_422(client: httpx.AsyncClient, alice: UserHandle) -> None:
    file_id = (await upload(client, alice, "a.txt", b"x\n"))["id"]
    json_headers = {**alice.headers, "Content-Type": "application/json"}
    folder = await client.post("/api/folders", content=b'{"name": "\\ud800"}', headers=json_headers)
    tags = await client.patch(f"/api/files/{file_id}", content=b'{"tags": ["\\udfff"]}', headers=json_headers)
    for response in (folder, tags):
        assert response.status_code == 422, response.text
        assert response.json()["code"] in {"invalid_text", "validation_error"}
    assert (await client.get("/api/folders", headers=alice.headers)).json() == []
    detail = (await client.get(f"/api/files/{file_id}", headers=alice.headers)).json()
    assert detail["tags"] == []
