"""The upload's extraction reads the local copy its part kept, not the blob in the store: on S3 a
video or PDF is not fetched back whole for its poster and page count."""

import uuid

import pytest

from app.files.derived import derive
from app.storage import keys
from app.storage.packed import Stored
from app.work import ImageWork
from tests.previews.factory import pdf_bytes
from tests.storage.helpers import S3Server

pytestmark = pytest.mark.anyio


async def test_a_kept_local_copy_is_read_instead_of_the_blob(s3: S3Server) -> None:
    store = s3.store()
    storage_key = uuid.uuid4().hex
    part = await store.new_part(keys.original(storage_key), local_copy=True)
    await part.append(pdf_bytes(["Kept locally", "Second page"]))
    try:  # never committed: the bucket has no blob under the key, only the copy has the bytes
        derived = await derive(
            store,
            ImageWork(1),
            storage_key=storage_key,
            source=Stored(keys.original(storage_key)),
            kind="document",
            mime_type="application/pdf",
            local=part.local_copy(),
        )
    finally:
        await part.discard()
    assert derived.extracted is not None
    assert derived.extracted.page_count == 2
    assert "Kept locally" in (derived.text or "")
    assert (await store.stat(keys.rendition(storage_key, "preview.webp"))).size > 0
