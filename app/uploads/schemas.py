import uuid
from datetime import datetime

from pydantic import BaseModel

from app.files.schemas import FileRead


class UploadRead(BaseModel):
    """A resumable upload's progress: `offset` of `length` bytes (`length` null while deferred)."""

    id: uuid.UUID
    filename: str
    offset: int
    length: int | None
    created_at: datetime
    expires_at: datetime


class UploadDetail(UploadRead):
    """One upload with its outcome: `state` is `receiving`, `done` (`file` is the File made) or
    `refused` (`error` is the refusal's problem code and `detail` why)."""

    state: str
    file: FileRead | None
    error: str | None
    detail: str | None
