"""Shared caches (CDNs, proxies) may keep a rendition only when every viewer gets the same bytes."""

import httpx

from tests.conftest import MakeUser, UserHandle
from tests.gallery import add_to_album, create_album, upload

PRIVATE = "private, max-age=31536000, immutable"
PUBLIC = "public, max-age=31536000, immutable"


async def public_image(client: httpx.AsyncClient, owner: UserHandle) -> str:
    image = await upload(client, owner, size=(800, 600))
    album = await create_album(client, owner, privacy_setting="public")
    await add_to_album(client, owner, album["id"], [image["id"]])
    return str(image["id"])


def varies_by_token(response: httpx.Response) -> bool:
    return "authorization" in [v.strip().lower() for v in response.headers.get("vary", "").split(",")]


async def test_watermarked_renditions_stay_out_of_shared_caches(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    await client.put("/api/artists/me", json={"watermark": {"text": "ALICE"}}, headers=alice.headers)
    image_id = await public_image(client, alice)
    for path in (f"/api/images/{image_id}/render?w=800", f"/api/images/{image_id}/thumbnail?size=large"):
        owner = await client.get(path, headers=alice.headers)
        visitor = await client.get(path)
        assert owner.status_code == visitor.status_code == 200
        assert owner.content != visitor.content  # only the visitor's is watermarked
        for response in (owner, visitor):
            assert response.headers["cache-control"] == PRIVATE, path
            assert varies_by_token(response), path
        again = await client.get(path, headers={**alice.headers, "If-None-Match": owner.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["cache-control"] == PRIVATE
    # small thumbnails are never watermarked: the same for everyone but the owner's answer
    small = await client.get(f"/api/images/{image_id}/thumbnail")
    assert small.headers["cache-control"] == PUBLIC
    owner_small = await client.get(f"/api/images/{image_id}/thumbnail", headers=alice.headers)
    assert owner_small.headers["cache-control"] == PRIVATE
    assert owner_small.content == small.content


async def test_without_a_watermark_visitors_share_and_the_owner_does_not(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    image_id = await public_image(client, alice)
    path = f"/api/images/{image_id}/render?w=400"
    owner = await client.get(path, headers=alice.headers)
    assert owner.headers["cache-control"] == PRIVATE
    for headers in ({}, bob.headers):
        visitor = await client.get(path, headers=headers)
        assert visitor.headers["cache-control"] == PUBLIC
        assert varies_by_token(visitor)
        assert visitor.content == owner.content
