"""Every blob store the app can run on; the contract tests run against each."""

from pathlib import Path

import pytest

from app.storage.base import BlobStore
from app.storage.local import LocalBlobStore

STORES = ["local"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    local = LocalBlobStore(tmp_path / "blobs")
    local.prepare()
    return local
