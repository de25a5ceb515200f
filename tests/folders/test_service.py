import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import NotFound
from app.folders import service as folders
from tests.conftest import MakeUser
from tests.folders.conftest import MakeFolder


async def test_get_owned_folder_returns_only_the_owners_folder(
    app: FastAPI, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    alices = await make_folder(alice, "mine")
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    async with factory() as session:
        folder = await folders.get_owned_folder(
            session, owner_id=uuid.UUID(alice.id), folder_id=uuid.UUID(alices["id"])
        )
        assert (str(folder.id), folder.name) == (alices["id"], "mine")
        for owner, folder_id in ((bob.id, alices["id"]), (alice.id, str(uuid.uuid4()))):
            with pytest.raises(NotFound) as caught:
                await folders.get_owned_folder(
                    session, owner_id=uuid.UUID(owner), folder_id=uuid.UUID(folder_id)
                )
            assert (caught.value.status, caught.value.code) == (404, "folder_not_found")


async def test_openapi_documents_the_folder_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert set(schema["paths"]["/api/folders"]) == {"get", "post"}
    assert set(schema["paths"]["/api/folders/{folder_id}"]) == {"get", "patch", "delete"}
    node = schema["components"]["schemas"]["FolderNode"]
    assert node["properties"]["children"]["items"]["$ref"] == "#/components/schemas/FolderNode"
    assert "409" in schema["paths"]["/api/folders/{folder_id}"]["patch"]["responses"]
