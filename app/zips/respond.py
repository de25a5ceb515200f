"""A ZIP as an HTTP response: streamed, sized, an attachment."""

from fastapi import Request
from starlette.responses import StreamingResponse

from app.db import release_session
from app.files.serve import BINARY
from app.names import content_disposition
from app.problems import Responses
from app.storage.base import BlobStore
from app.zips.stream import Archive, build, stream

TEXT = {"type": "string"}
ZIP_OK: Responses = {
    200: {
        "description": "a ZIP archive, streamed",
        "content": {"application/zip": {"schema": BINARY}},
        "headers": {
            "Content-Disposition": {
                "description": "`attachment`, with the archive's name",
                "schema": {"type": "string"},
            },
            "Cache-Control": {"description": "`private, no-store`", "schema": {"type": "string"}},
        },
    }
}


async def zip_response(request: Request, store: BlobStore, archive: Archive) -> StreamingResponse:
    """Ends the request's session first: the archive is read from the store alone."""
    await release_session(request)
    zipped = build(store, archive)
    headers = {
        "Content-Length": str(len(zipped)),
        "Content-Disposition": content_disposition(f"{archive.name}.zip", "attachment"),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(stream(zipped), media_type="application/zip", headers=headers)
