"""Integers that reach the database are bounded in their schema: 422, never an overflow 500."""

import httpx

from app.db import MAX_SAFE_INT
from tests.conftest import MakeUser, UserHandle


async def test_a_quota_past_bigint_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, admin: UserHandle
) -> None:
    alice = await make_user("alice")
    url = f"/api/admin/users/{alice.id}/quota"
    response = await client.put(url, json={"storage_quota": 2**63}, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "storage_quota"]
    assert (
        await client.put(url, json={"storage_quota": MAX_SAFE_INT}, headers=admin.headers)
    ).status_code == 200


async def test_the_document_states_the_bounds(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    quota = document["components"]["schemas"]["QuotaUpdate"]["properties"]["storage_quota"]["anyOf"][0]
    assert quota["maximum"] == MAX_SAFE_INT
    files = {p["name"]: p["schema"] for p in document["paths"]["/api/files"]["get"]["parameters"]}
    assert files["per_page"]["maximum"] == 200
    assert files["max_size"]["anyOf"][0]["maximum"] == MAX_SAFE_INT
    form = document["paths"]["/api/artworks/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]
    year = form["schema"]["properties"]["year"]["anyOf"][0]
    assert (year["minimum"], year["maximum"]) == (-10_000, 9999)


async def test_huge_pages_and_sizes_are_422(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    for params in ({"page": str(2**63)}, {"min_size": str(MAX_SAFE_INT + 1)}, {"per_page": "201"}):
        response = await client.get("/api/files", params=params, headers=alice.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["code"] == "validation_error"
