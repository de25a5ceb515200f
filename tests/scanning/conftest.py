"""One real clamd for the whole test run (Debian's clamav-daemon with a tiny signature database),
shared: every test that needs it is in the xdist group "clamd", so one worker starts it."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from bench.clamd import Clamd, running_clamd
from tests.conftest import ON_S3, TEST_SECRET
from tests.scanning.helpers import STREAM_MAX
from tests.storage.helpers import S3Server

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("clamd"))


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    with running_clamd(tmp_path_factory.mktemp("clamd"), stream_max=STREAM_MAX) as daemon:
        yield daemon


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str, clamd: Clamd) -> Settings:
    """Scanning on, through clamd's TCP socket, failing closed (the default); on S3 with ATRIUM_TEST_S3."""
    object_storage: dict[str, Any] = {}
    if ON_S3:
        server: S3Server = request.getfixturevalue("s3")
        object_storage = {"storage_url": server.url(), **server.settings}
    return Settings(
        environment="test",
        database_url=database_url,
        upload_dir=tmp_path / "uploads",
        secret_key=TEST_SECRET,
        clamd_address=clamd.tcp,
        **object_storage,
    )
