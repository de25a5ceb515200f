import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.db import MAX_SAFE_INT
from app.files.schemas import Kind


class TypeUsage(BaseModel):
    type: Kind
    count: int
    size: int


class FolderUsage(BaseModel):
    folder_id: uuid.UUID | None = Field(description="null for files at the top level")
    name: str
    count: int
    size: int


class ActivityEntry(BaseModel):
    action: str
    file_id: uuid.UUID | None
    at: datetime


class Quota(BaseModel):
    used: int = Field(description="bytes stored, trash included")
    limit: int


class Disk(BaseModel):
    free: int
    total: int


class StorageStats(BaseModel):
    total_files: int = Field(description="files not in the trash")
    total_size: int = Field(description="bytes of the files not in the trash", examples=[10485760])
    stored_size: int = Field(
        description="what those files take on the store: `total_size` less what compression at rest saved",
        examples=[6291456],
    )
    by_type: list[TypeUsage]
    by_folder: list[FolderUsage]
    recent_activity: list[ActivityEntry]
    quota: Quota
    disk: Disk


class QuotaUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"storage_quota": 10737418240}]})

    storage_quota: int | None = Field(
        ge=0, le=MAX_SAFE_INT, description="bytes; null returns the user to the default quota"
    )


class UserQuota(BaseModel):
    user_id: uuid.UUID
    username: str
    storage_quota: int | None = Field(description="the user's own quota, or null for the default")
    limit: int = Field(description="the quota in force")
    used: int


class SweepReport(BaseModel):
    removed: list[str] = Field(description="upload parts of crashed uploads that were deleted")
    removed_blobs: list[str] = Field(
        default_factory=list, description="blobs of uploads that crashed before their rows were committed"
    )


class OrphanReport(BaseModel):
    orphan_keys: list[str] = Field(description="stored blobs that no file row refers to")
    missing_file_ids: list[uuid.UUID] = Field(description="file rows whose original bytes are gone")
    removed: int = Field(description="orphan blobs deleted (only with fix=true)")


class PurgeReport(BaseModel):
    purged: int
    freed: int = Field(description="bytes")


class VerifyReport(BaseModel):
    checked: int
    missing: list[uuid.UUID]
    corrupt: list[uuid.UUID] = Field(description="bytes present but size or SHA-256 differs from the row")

    @property
    def healthy(self) -> bool:
        return not self.missing and not self.corrupt
