"""Every operation has the short, stable operationId a generated client names its method by."""

import httpx
import pytest

from app.operations import OPERATION_IDS

pytestmark = pytest.mark.anyio

EXPECTED = {
    ("get", "/healthz"): "checkHealth",
    ("post", "/api/upload"): "uploadFiles",
    ("get", "/api/files"): "listFiles",
    ("get", "/api/files/{file_id}/download"): "downloadFile",
    ("post", "/api/albums/{album_id}/images"): "addAlbumImages",
    ("delete", "/api/galleries/{gallery_id}/artworks/{artwork_id}"): "removeGalleryArtwork",
    ("get", "/api/images/{image_id}/render"): "renderImage",
    ("post", "/api/auth/token"): "issueToken",
    ("options", "/api/uploads/tus"): "tusOptions",
    ("post", "/api/uploads/tus"): "createUpload",
    ("head", "/api/uploads/tus/{upload_id}"): "getUploadOffset",
    ("patch", "/api/uploads/tus/{upload_id}"): "appendUpload",
    ("delete", "/api/uploads/tus/{upload_id}"): "terminateUpload",
    ("get", "/api/uploads"): "listUploads",
    ("get", "/api/uploads/{upload_id}"): "getUpload",
}


async def test_operation_ids_are_short_unique_and_chosen(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    ids = {
        (method, path): op["operationId"]
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert len(set(ids.values())) == len(ids)  # one per operation
    assert set(ids.values()) == set(OPERATION_IDS.values())  # every id chosen in the table, none left over
    assert {key: ids[key] for key in EXPECTED} == EXPECTED
    assert max(len(name) for name in ids.values()) <= 24
    assert all(name[0].islower() and "_" not in name for name in ids.values())
