"""Every verdict of the access policy for every kind of principal, over files and collections built
through the API on a real database. A changed rule changes a cell of these tables and fails here."""

import uuid
from dataclasses import dataclass, replace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.access import policy
from app.db import utcnow
from app.models import Collection, File
from tests.conftest import MakeUser, UserHandle
from tests.gallery import add_to_album, create_album, upload
from tests.portfolio.helpers import add_to_gallery, create_gallery, upload_artwork

T, F = True, False
PUB, PRIV = "public", "private"

# Files: alice (who has a watermark) owns A*, carol (no watermark) owns C*.
#   private      image in no collection          shared       image in a `shared` album
#   public       image in a public album         closed       image in a private album
#   art_free     artwork, public gallery allowing original downloads
#   art_locked   artwork, public gallery not allowing them
#   art_hidden   artwork, private gallery allowing them
#   trashed      image in a public album, in the trash
#   c_public     carol's image in a public album  c_locked    carol's artwork, public gallery, no downloads
# alice's share grant names private, art_free, art_locked, art_hidden, trashed and c_public (not
# hers: the grant cannot open it) by id, and the `shared` album as its collection.
FILES = ["private", "public", "shared", "closed", "art_free", "art_locked", "art_hidden", "trashed"]
FILES += ["c_public", "c_locked"]
PRINCIPALS = ["alice", "bob", "anonymous", "grant", "grant_bare"]

# (may_read, may_download_original, watermark on a thumbnail, on a small one,
#  cache scope of the small thumbnail, of a larger thumbnail, of a render)
NOTHING = (F, F, F, F, PRIV, PRIV, PRIV)
OWNER = (T, T, F, F, PRIV, PRIV, PRIV)
MARKED_PUBLIC = (T, T, T, F, PUB, PRIV, PRIV)
MARKED_LOCKED = (T, F, T, F, PUB, PRIV, PRIV)
VISITOR = {
    "private": NOTHING,
    "public": MARKED_PUBLIC,
    "shared": NOTHING,
    "closed": NOTHING,
    "art_free": MARKED_PUBLIC,
    "art_locked": MARKED_LOCKED,
    "art_hidden": NOTHING,
    "trashed": NOTHING,
    "c_public": (T, T, F, F, PUB, PUB, PUB),
    "c_locked": (T, F, F, F, PUB, PUB, PRIV),
}
GRANT = {
    "private": (T, T, T, F, PRIV, PRIV, PRIV),
    "public": NOTHING,
    "shared": (T, T, T, F, PRIV, PRIV, PRIV),
    "closed": NOTHING,
    "art_free": (T, T, T, F, PRIV, PRIV, PRIV),
    "art_locked": (T, F, T, F, PRIV, PRIV, PRIV),
    "art_hidden": (T, F, T, F, PRIV, PRIV, PRIV),
    "trashed": NOTHING,
    "c_public": NOTHING,
    "c_locked": NOTHING,
}
FILE_VERDICTS: dict[str, dict[str, tuple[bool, bool, bool, bool, str, str, str]]] = {
    "alice": {
        **{name: OWNER for name in FILES},
        "trashed": NOTHING,
        "c_public": VISITOR["c_public"],
        "c_locked": VISITOR["c_locked"],
    },
    "bob": VISITOR,
    "anonymous": VISITOR,
    "grant": GRANT,
    "grant_bare": {name: (verdicts[0], F, *verdicts[2:]) for name, verdicts in GRANT.items()},
}

# Per principal, about alice's things: (may_change, sees_private_metadata, sees_metadata)
PRINCIPAL_VERDICTS = {
    "alice": (T, T, T),
    "bob": (F, F, T),
    "anonymous": (F, F, T),
    "grant": (F, F, T),
    "grant_bare": (F, F, F),
}

COLLECTIONS = ["public_album", "shared_album", "closed_album", "free_gallery", "locked_gallery"]
COLLECTIONS += ["hidden_gallery", "c_album", "c_gallery"]
# (may_view_collection, may_download_originals_of)
COLLECTION_VISITOR = {
    "public_album": (T, F),
    "shared_album": (F, F),
    "closed_album": (F, F),
    "free_gallery": (T, T),
    "locked_gallery": (T, F),
    "hidden_gallery": (F, F),
    "c_album": (T, F),
    "c_gallery": (T, F),
}
COLLECTION_GRANT = {name: (name == "shared_album", F) for name in COLLECTIONS}
COLLECTION_VERDICTS: dict[str, dict[str, tuple[bool, bool]]] = {
    "alice": {**{name: (T, T) for name in COLLECTIONS}, "c_album": (T, F), "c_gallery": (T, F)},
    "bob": COLLECTION_VISITOR,
    "anonymous": COLLECTION_VISITOR,
    "grant": COLLECTION_GRANT,
    "grant_bare": COLLECTION_GRANT,
}


@dataclass
class World:
    owner_id: uuid.UUID
    files: dict[str, File]
    collections: dict[str, Collection]
    principals: dict[str, policy.Principal]


async def _album(client: httpx.AsyncClient, user: UserHandle, privacy: str, *image_ids: str) -> str:
    album = await create_album(client, user, privacy_setting=privacy)
    assert (await add_to_album(client, user, album["id"], list(image_ids))).status_code == 200
    return str(album["id"])


async def _gallery(client: httpx.AsyncClient, user: UserHandle, artwork_id: str, **body: object) -> str:
    gallery = await create_gallery(client, user.headers, **body)
    await add_to_gallery(client, user.headers, gallery["id"], artwork_id)
    return str(gallery["id"])


async def _build(app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser) -> World:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    mark = {"watermark": {"text": "ALICE"}}
    assert (await client.put("/api/artists/me", json=mark, headers=alice.headers)).status_code == 200
    ids: dict[str, str] = {}
    for name in ("private", "public", "shared", "closed", "trashed"):
        ids[name] = (await upload(client, alice, f"{name}.png"))["id"]
    for name in ("art_free", "art_locked", "art_hidden"):
        ids[name] = (await upload_artwork(client, alice.headers, title=name))["id"]
    ids["c_public"] = (await upload(client, carol, "c.png"))["id"]
    ids["c_locked"] = (await upload_artwork(client, carol.headers, title="c"))["id"]
    cids = {
        "public_album": await _album(client, alice, "public", ids["public"], ids["trashed"]),
        "shared_album": await _album(client, alice, "shared", ids["shared"]),
        "closed_album": await _album(client, alice, "private", ids["closed"]),
        "c_album": await _album(client, carol, "public", ids["c_public"]),
    }
    for gallery, artwork, visibility, allow in (
        ("free_gallery", "art_free", "public", T),
        ("locked_gallery", "art_locked", "public", F),
        ("hidden_gallery", "art_hidden", "private", T),
    ):
        cids[gallery] = await _gallery(
            client, alice, ids[artwork], visibility=visibility, allow_original_download=allow
        )
    cids["c_gallery"] = await _gallery(client, carol, ids["c_locked"], visibility="public")
    async with app.state.session_factory() as session:
        # Trashed behind the API's back, so it still sits in the public album: liveness alone must hide it.
        await session.execute(
            update(File).where(File.id == uuid.UUID(ids["trashed"])).values(deleted_at=utcnow())
        )
        await session.commit()
        files = {name: await session.get_one(File, uuid.UUID(i)) for name, i in ids.items()}
        collections = {name: await session.get_one(Collection, uuid.UUID(i)) for name, i in cids.items()}
    named = ("private", "art_free", "art_locked", "art_hidden", "trashed", "c_public")
    grant = policy.ShareGrant(
        share_id=uuid.uuid4(),
        owner_id=uuid.UUID(alice.id),
        file_ids=frozenset(files[n].id for n in named),
        collection_id=collections["shared_album"].id,
    )
    bare = replace(grant, allow_download=False, show_metadata=False)
    principals = {
        "alice": policy.Principal(user_id=uuid.UUID(alice.id)),
        "bob": policy.Principal(user_id=uuid.UUID(bob.id)),
        "anonymous": policy.ANONYMOUS,
        "grant": policy.through_grant(grant),
        "grant_bare": policy.through_grant(bare),
    }
    return World(uuid.UUID(alice.id), files, collections, principals)


async def _file_verdicts(
    session: AsyncSession, principal: policy.Principal, file: File
) -> tuple[bool, bool, bool, bool, str, str, str]:
    subject = await policy.subject(session, principal=principal, file=file)
    return (
        policy.may_read(principal, subject),
        policy.may_download_original(principal, subject),
        policy.gets_watermark(principal, subject, "thumbnail"),
        policy.gets_watermark(principal, subject, "small_thumbnail"),
        policy.cache_scope(principal, subject, "small_thumbnail"),
        policy.cache_scope(principal, subject, "thumbnail"),
        policy.cache_scope(principal, subject, "render"),
    )


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser) -> World:
    return await _build(app, client, make_user)


async def test_every_verdict_for_every_principal(app: FastAPI, world: World) -> None:
    wrong: list[str] = []
    async with app.state.session_factory() as session:
        for who, principal in world.principals.items():
            for name, file in world.files.items():
                got = await _file_verdicts(session, principal, file)
                if got != FILE_VERDICTS[who][name]:
                    wrong.append(f"{who} on {name}: {got} != {FILE_VERDICTS[who][name]}")
            owner = world.owner_id
            got_p = (
                policy.may_change(principal, owner),
                policy.sees_private_metadata(principal, owner),
                policy.sees_metadata(principal),
            )
            if got_p != PRINCIPAL_VERDICTS[who]:
                wrong.append(f"{who}: {got_p} != {PRINCIPAL_VERDICTS[who]}")
            for name, collection in world.collections.items():
                got_c = (
                    policy.may_view_collection(principal, collection),
                    policy.may_download_originals_of(principal, collection),
                )
                if got_c != COLLECTION_VERDICTS[who][name]:
                    wrong.append(f"{who} on {name}: {got_c} != {COLLECTION_VERDICTS[who][name]}")
    assert not wrong, "\n".join(wrong)


async def test_the_sql_clauses_agree_with_the_verdicts(app: FastAPI, world: World) -> None:
    """`readable_files`, `readable_collections` and `downloadable_files` select exactly what the tables
    say may be read and downloaded."""
    names = {file.id: name for name, file in world.files.items()}
    collection_names = {c.id: name for name, c in world.collections.items()}
    async with app.state.session_factory() as session:
        for who, principal in world.principals.items():
            rows = await session.scalars(select(File.id).where(policy.readable_files(principal)))
            assert {names[i] for i in rows} == {n for n, v in FILE_VERDICTS[who].items() if v[0]}, who
            rows = await session.scalars(select(Collection.id).where(policy.readable_collections(principal)))
            visible = {n for n, v in COLLECTION_VERDICTS[who].items() if v[0]}
            assert {collection_names[i] for i in rows} == visible, who
            rows = await session.scalars(select(File.id).where(policy.downloadable_files(principal)))
            downloadable = {n for n, v in FILE_VERDICTS[who].items() if v[1]}
            assert {names[i] for i in rows} == downloadable, who


def test_only_a_link_hiding_metadata_strips_the_location() -> None:
    owner = uuid.uuid4()
    grant = policy.ShareGrant(share_id=uuid.uuid4(), owner_id=owner)
    hiding = replace(grant, show_metadata=False)
    assert policy.strips_location(policy.through_grant(hiding), owner) is True
    assert policy.strips_location(policy.through_grant(grant), owner) is False
    assert policy.strips_location(policy.Principal(user_id=owner), owner) is False
    assert policy.strips_location(policy.ANONYMOUS, owner) is False


def test_principals_come_from_an_optional_user_and_are_one_kind() -> None:
    assert policy.principal_of(None) == policy.ANONYMOUS
    grant = policy.ShareGrant(share_id=uuid.uuid4(), owner_id=uuid.uuid4())
    with pytest.raises(ValueError, match="not both"):
        policy.Principal(user_id=uuid.uuid4(), grant=grant)
    assert policy.rendering_of_thumbnail("small") == "small_thumbnail"
    assert policy.rendering_of_thumbnail("large") == "thumbnail"
    assert policy.avatar_cache_scope() == "public"
