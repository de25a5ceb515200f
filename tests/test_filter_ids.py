"""One rule for filter ids: malformed is 422; an unknown folder matches nothing; an unknown album is 404."""

import uuid

import httpx

from tests.conftest import MakeUser


async def test_filter_ids(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    for url, params in (
        ("/api/files", {"folder_id": "not-a-uuid"}),
        ("/api/search", {"q": "x", "folder_id": "not-a-uuid"}),
        ("/api/search", {"q": "x", "album_id": "not-a-uuid"}),
        ("/api/images", {"album_id": "not-a-uuid"}),
        ("/api/images", {"user_id": "not-a-uuid"}),
    ):
        response = await client.get(url, params=params, headers=alice.headers)
        assert response.status_code == 422, (url, params, response.text)
        assert response.json()["code"] == "validation_error"
    unknown = str(uuid.uuid4())
    for url, params in (
        ("/api/files", {"folder_id": unknown}),
        ("/api/search", {"q": "x", "folder_id": unknown}),
    ):
        response = await client.get(url, params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []
    response = await client.get("/api/images", params={"album_id": unknown}, headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "album_not_found"


async def test_changing_to_a_taken_email_is_a_documented_409(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("bob")
    alice = await make_user("alice")
    response = await client.patch("/api/auth/user", json={"email": "bob@example.com"}, headers=alice.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"  # the client fixture checks it is documented
