import httpx
import pytest

from tests.conftest import MakeUser, UserHandle


@pytest.fixture
async def alice(make_user: MakeUser) -> UserHandle:
    return await make_user("alice")


@pytest.fixture
async def bob(make_user: MakeUser) -> UserHandle:
    return await make_user("bob")


@pytest.fixture
def http(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return client
