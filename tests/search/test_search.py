"""GET /api/search over rows written through the ORM: operators, ranking, filters, hostile input."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Collection, CollectionItem, User
from app.pagination import PageParams
from app.search import service
from app.search.query import parse
from app.search.schemas import SearchFilters
from tests.conftest import MakeUser, UserHandle
from tests.search.conftest import AddFile

pytestmark = pytest.mark.anyio  # declared here so parametrized async tests keep their ids


async def names(client: httpx.AsyncClient, user: UserHandle, q: str, **params: str) -> list[str]:
    response = await client.get("/api/search", params={"q": q, **params}, headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.fixture
async def alice(make_user: MakeUser) -> UserHandle:
    return await make_user("alice")


async def test_search_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/search", params={"q": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_words_must_all_match(client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile) -> None:
    await add_file(alice.id, "red car.txt")
    await add_file(alice.id, "red bus.txt")
    await add_file(alice.id, "blue car.txt")
    assert await names(client, alice, "red car") == ["red car.txt"]
    assert sorted(await names(client, alice, "car")) == ["blue car.txt", "red car.txt"]


async def test_every_field_is_searched(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile
) -> None:
    await add_file(alice.id, "a.txt", title="Zanzibar sunset")
    await add_file(alice.id, "b.txt", description="taken near the quokka colony")
    await add_file(alice.id, "c.txt", tags=("wombat", "night"))
    await add_file(alice.id, "d.jpg", camera=("FUJIFILM", "X-T4", "XF35mmF1.4 R"))
    await add_file(alice.id, "e.txt", text="minutes of the platypus committee")
    assert await names(client, alice, "zanzibar") == ["a.txt"]
    assert await names(client, alice, "quokka") == ["b.txt"]
    assert await names(client, alice, "wombat") == ["c.txt"]
    assert await names(client, alice, "fujifilm") == ["d.jpg"]
    assert await names(client, alice, "X-T4") == ["d.jpg"]
    assert await names(client, alice, "platypus committee") == ["e.txt"]


async def test_exact_phrase(client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile) -> None:
    await add_file(alice.id, "one.txt", text="the quick brown fox")
    await add_file(alice.id, "two.txt", text="brown and quick fox")
    assert sorted(await names(client, alice, "quick brown")) == ["one.txt", "two.txt"]
    assert await names(client, alice, '"quick brown"') == ["one.txt"]


async def test_or(client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile) -> None:
    await add_file(alice.id, "cat.txt", text="cat photo")
    await add_file(alice.id, "dog.txt", text="dog photo")
    await add_file(alice.id, "cow.txt", text="cow photo")
    assert sorted(await names(client, alice, "cat OR dog")) == ["cat.txt", "dog.txt"]
    assert sorted(await names(client, alice, "cat OR dog photo")) == ["cat.txt", "dog.txt"]
    assert await names(client, alice, "cat or dog") == []  # lowercase or is a word


async def test_excluded(client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile) -> None:
    await add_file(alice.id, "cat.txt", text="cute cat")
    await add_file(alice.id, "dog.txt", text="cute dog")
    await add_file(alice.id, "both.txt", text="cute cat and dog")
    assert await names(client, alice, "cute -cat") == ["dog.txt"]
    assert sorted(await names(client, alice, 'cute -"cat and"')) == ["cat.txt", "dog.txt"]


async def test_prefix(client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile) -> None:
    await add_file(alice.id, "photograph.txt")
    await add_file(alice.id, "photo.txt")
    await add_file(alice.id, "phone.txt")
    assert sorted(await names(client, alice, "photo*")) == ["photo.txt", "photograph.txt"]
    assert await names(client, alice, "photo") == ["photo.txt"]
    assert sorted(await names(client, alice, "ph*")) == ["phone.txt", "photo.txt", "photograph.txt"]


async def test_accents_and_case_do_not_matter(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile
) -> None:
    await add_file(alice.id, "Café Crème.txt")
    assert await names(client, alice, "cafe creme") == ["Café Crème.txt"]
    assert await names(client, alice, "CAFÉ") == ["Café Crème.txt"]


async def test_rare_name_match_ranks_above_description_matches(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile
) -> None:
    for i in range(3):
        await add_file(alice.id, f"note{i}.txt", description=f"about the lighthouse, part {i}")
    await add_file(alice.id, "lighthouse.jpg")
    for i in range(6):
        await add_file(alice.id, f"filler{i}.txt", description="nothing to see")
    response = await client.get("/api/search", params={"q": "lighthouse"}, headers=alice.headers)
    body = response.json()
    assert body["total"] == 4
    assert body["items"][0]["name"] == "lighthouse.jpg"
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[1] > 0
    ascending = await client.get(
        "/api/search", params={"q": "lighthouse", "order": "asc"}, headers=alice.headers
    )
    assert ascending.json()["items"][-1]["name"] == "lighthouse.jpg"


async def test_pagination(client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile) -> None:
    for i in range(5):
        await add_file(alice.id, f"page {i}.txt")
    seen = []
    for page in (1, 2, 3):
        response = await client.get(
            "/api/search", params={"q": "page", "per_page": 2, "page": page}, headers=alice.headers
        )
        body = response.json()
        assert (body["total"], body["page"], body["per_page"]) == (5, page, 2)
        seen += [item["name"] for item in body["items"]]
    assert sorted(seen) == [f"page {i}.txt" for i in range(5)]


async def test_other_users_files_are_not_found(
    client: httpx.AsyncClient, alice: UserHandle, make_user: MakeUser, add_file: AddFile
) -> None:
    bob = await make_user("bob")
    await add_file(bob.id, "secret plans.txt", text="secret")
    assert await names(client, alice, "secret") == []
    assert await names(client, bob, "secret") == ["secret plans.txt"]


async def test_filters(client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile) -> None:
    now = datetime.now(UTC)
    await add_file(alice.id, "x small.txt", size=5, created_at=now - timedelta(days=3), text="x")
    await add_file(alice.id, "x big.png", size=500, mime_type="image/png", kind="image")
    await add_file(alice.id, "x tagged.txt", tags=("keep",), size=50)
    assert await names(client, alice, "x", type="image") == ["x big.png"]
    assert await names(client, alice, "x", type="image/") == ["x big.png"]
    assert sorted(await names(client, alice, "x", type="text/plain")) == ["x small.txt"]
    assert await names(client, alice, "x", min_size="100") == ["x big.png"]
    assert await names(client, alice, "x", max_size="5") == ["x small.txt"]
    assert await names(client, alice, "x", tag="keep") == ["x tagged.txt"]
    before = (now - timedelta(days=1)).isoformat()
    assert await names(client, alice, "x", created_before=before) == ["x small.txt"]
    assert len(await names(client, alice, "x", created_after=before)) == 2
    assert len(await names(client, alice, "x", folder_id="root")) == 3
    assert await names(client, alice, "x", folder_id=str(uuid.uuid4())) == []
    assert await names(client, alice, "x", album_id=str(uuid.uuid4())) == []


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"folder_id": "top"}, "validation_error"),
        ({"min_size": "-1"}, "validation_error"),
        ({"created_after": "yesterday"}, "validation_error"),
        ({"album_id": "x"}, "validation_error"),
        ({"per_page": "201"}, "validation_error"),
    ],
)
async def test_bad_filters_are_refused(
    client: httpx.AsyncClient, alice: UserHandle, bad: dict[str, str], code: str
) -> None:
    response = await client.get("/api/search", params={"q": "x", **bad}, headers=alice.headers)
    assert response.status_code in (404, 422)
    assert response.json()["code"] == code


async def test_unknown_type_matches_nothing(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile
) -> None:
    await add_file(alice.id, "x.txt")
    assert await names(client, alice, "x", type="spreadsheet") == []


HOSTILE = [
    '"',
    '"""',
    "'",
    "(",
    ")",
    "(a OR",
    "a)",
    "NEAR",
    "NEAR(a b, 2)",
    "a NEAR b",
    "*",
    "**",
    "-",
    "--",
    "-*",
    "a:b",
    "name:secret",
    "{name title}: x",
    "^x",
    "a AND",
    "NOT a",
    "a NOT",
    "OR OR OR",
    "AND",
    "x\x00y",
    "\u202e\u200b",
    "日本語 テスト",
    "🙂",
    "😀 a",
    "%_\\",
    "'; DROP TABLE file; --",
    "a" * 999,
    " ".join(["w"] * 400),
    "x" * 5000,
]


@pytest.mark.parametrize("q", HOSTILE)
async def test_hostile_queries_answer_200_or_422(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile, q: str
) -> None:
    await add_file(alice.id, "a b.txt", text="NEAR name secret x y")
    response = await client.get("/api/search", params={"q": q}, headers=alice.headers)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.json()["code"] in {"empty_query", "query_too_complex", "validation_error"}


@pytest.mark.parametrize(
    ("q", "code"), [("", "validation_error"), ("-", "empty_query"), ("x" * 5000, "validation_error")]
)
async def test_unsearchable_queries_say_why(
    client: httpx.AsyncClient, alice: UserHandle, q: str, code: str
) -> None:
    response = await client.get("/api/search", params={"q": q}, headers=alice.headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_operator_words_are_searched_as_words(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile
) -> None:
    await add_file(alice.id, "near the sea.txt")
    await add_file(alice.id, "far.txt")
    assert await names(client, alice, "NEAR") == ["near the sea.txt"]
    assert await names(client, alice, "NEAR(sea") == ["near the sea.txt"]


async def test_naive_timestamps_are_read_as_utc(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile
) -> None:
    await add_file(alice.id, "x.txt")
    assert await names(client, alice, "x", created_before="2099-01-01T00:00:00") == ["x.txt"]
    assert await names(client, alice, "x", created_after="2099-01-01T00:00:00") == []


async def test_album_filter_keeps_the_callers_album_members(
    client: httpx.AsyncClient,
    alice: UserHandle,
    make_user: MakeUser,
    add_file: AddFile,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    inside = await add_file(alice.id, "x in.png")
    await add_file(alice.id, "x out.png")
    bob = await make_user("bob")
    async with session_factory() as session:
        album = Collection(owner_id=uuid.UUID(alice.id), kind="album", name="trip")
        foreign = Collection(owner_id=uuid.UUID(bob.id), kind="album", name="bob's")
        session.add_all([album, foreign])
        await session.flush()
        session.add_all(
            [
                CollectionItem(collection_id=album.id, file_id=inside),
                CollectionItem(collection_id=foreign.id, file_id=inside),
            ]
        )
        await session.commit()
    assert await names(client, alice, "x", album_id=str(album.id)) == ["x in.png"]
    assert await names(client, alice, "x", album_id=str(foreign.id)) == []


async def test_unranked_fallback_for_other_dialects_honours_the_operators(
    alice: UserHandle, add_file: AddFile, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The ILIKE builder (used when the database is not SQLite), run here on SQLite."""
    await add_file(alice.id, "red car.txt", text="fast 100%")
    await add_file(alice.id, "red bus.txt", tags=("slow",))
    await add_file(alice.id, "blue car.txt", camera=("Leica", "M6", "Summicron"))
    page = PageParams(page=1, per_page=50, order="desc")

    async def fallback(q: str) -> list[str]:
        async with session_factory() as session:
            user = await session.get(User, uuid.UUID(alice.id))
            assert user is not None
            conditions = service.filter_conditions(user=user, filters=SearchFilters())
            ranked = await service._search_ilike(session, parsed=parse(q), conditions=conditions, page=page)
        return sorted(hit.name for hit in ranked.hits)

    assert await fallback("red car") == ["red car.txt"]
    assert await fallback("slow OR leica") == ["blue car.txt", "red bus.txt"]
    assert await fallback("car -summicron") == ["red car.txt"]
    assert await fallback('"100%"') == ["red car.txt"]
    assert await fallback("r_d") == []  # LIKE wildcards are escaped
