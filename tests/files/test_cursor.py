"""Keyset pages of GET /api/files: the same rows as offset pages, in every sort and order."""

from typing import Any, get_args

import httpx
import pytest

from app.files.schemas import SortField
from tests.conftest import MakeUser, UserHandle
from tests.files.helpers import png_bytes


async def upload_many(client: httpx.AsyncClient, user: UserHandle, *, folder: str | None = None) -> None:
    # repeated names and sizes: ties that only the id breaks
    files = [("files", (f"{'ab'[i % 2]}.txt", f"note {i % 3}\n".encode())) for i in range(9)]
    files += [("files", (f"p{i}.png", png_bytes(color=c))) for i, c in enumerate(["red", "blue"])]
    data = {"folder_id": folder} if folder else {}
    response = await client.post("/api/upload", headers=user.headers, files=files, data=data)
    assert response.status_code == 201, response.text


async def walk(
    client: httpx.AsyncClient, user: UserHandle, params: dict[str, Any], *, by_cursor: bool
) -> list[Any]:
    pages: list[Any] = []
    query = {**params, "per_page": 3}
    for number in range(1, 20):  # bounded: 11 files make 4 pages
        response = await client.get("/api/files", headers=user.headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append((body["page"], body["total"], [item["id"] for item in body["items"]]))
        if body["next_cursor"] is None:
            return pages
        query = {
            **params,
            "per_page": 3,
            **({"cursor": body["next_cursor"]} if by_cursor else {"page": number + 1}),
        }
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", get_args(SortField))
async def test_cursor_pages_are_the_offset_pages(
    client: httpx.AsyncClient, make_user: MakeUser, sort: str, order: str
) -> None:
    alice = await make_user()
    await upload_many(client, alice)
    params = {"sort": sort, "order": order}
    by_cursor = await walk(client, alice, params, by_cursor=True)
    assert by_cursor == await walk(client, alice, params, by_cursor=False)
    assert [page for page, _, _ in by_cursor] == [1, 2, 3, 4]
    assert {total for _, total, _ in by_cursor} == {11}
    assert len({file_id for _, _, ids in by_cursor for file_id in ids}) == 11


async def test_filtered_lists_count_right_and_page_by_cursor(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await upload_many(client, bob)
    folder = await client.post("/api/folders", json={"name": "f"}, headers=alice.headers)
    await upload_many(client, alice, folder=folder.json()["id"])
    await upload_many(client, alice)
    cases = [
        ({"folder_id": folder.json()["id"]}, 11),
        ({"folder_id": "root"}, 11),
        ({"type": "image"}, 4),
        ({}, 22),
    ]
    cases += [({"type": "text/plain"}, 18), ({"max_size": 7}, 18)]
    for params, total in cases:
        pages = await walk(client, alice, params, by_cursor=True)
        assert {t for _, t, _ in pages} == {total}, params
        assert sum(len(ids) for _, _, ids in pages) == total, params
        assert pages == await walk(client, alice, params, by_cursor=False), params


@pytest.mark.parametrize(
    "cursor", ["%%%", "bm90IGpzb24", "WzEsMiwzXQ", "WyJzaXplOmRlc2MiLDEsIm5vdC1hbi1pZCIsMl0"]
)
async def test_a_bad_cursor_is_refused(client: httpx.AsyncClient, make_user: MakeUser, cursor: str) -> None:
    alice = await make_user()
    response = await client.get("/api/files", headers=alice.headers, params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"


async def test_a_cursor_belongs_to_its_sort_and_order(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    await upload_many(client, alice)
    first = await client.get("/api/files", headers=alice.headers, params={"per_page": 2, "sort": "name"})
    cursor = first.json()["next_cursor"]
    for params in ({"sort": "size"}, {"sort": "name", "order": "asc"}):
        response = await client.get("/api/files", headers=alice.headers, params={**params, "cursor": cursor})
        assert response.status_code == 422, params
        assert response.json()["code"] == "invalid_cursor"
    again = await client.get("/api/files", headers=alice.headers, params={"sort": "name", "cursor": cursor})
    assert again.status_code == 200
