"""Every blob store the app can run on; the contract tests run against each."""

from pathlib import Path

import pytest

from app.storage.base import BlobStore
from app.storage.local import LocalBlobStore
from tests.storage.helpers import S3Server

STORES = ["local", "s3"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3")
        return server.store()
    local = LocalBlobStore(tmp_path / "blobs")
    local.prepare()
    return local
