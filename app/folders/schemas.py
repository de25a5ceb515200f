"""Folder shapes. Counts: `file_count`/`total_size` cover the whole subtree, `direct_*` the folder itself."""

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app import names

DESCRIPTION_MAX_LENGTH = 10_000


def check_folder_name(value: str) -> str:
    """A folder name is valid when sanitising it as a file display name would not change it.

    That refuses '/', '\\', control (NUL included), zero-width and bidi control characters and names
    made only of dots; surrounding spaces are dropped, and the name is NFC-normalised.
    """
    name = unicodedata.normalize("NFC", value).strip(" ")
    if not 1 <= len(name) <= names.MAX_NAME_LENGTH:
        raise ValueError(f"a folder name has 1 to {names.MAX_NAME_LENGTH} characters")
    if not name.strip("."):
        raise ValueError("a folder name needs a character other than '.'")
    if names.sanitize_name(name) != name:
        raise ValueError("a folder name may not contain '/', '\\', control or bidirectional characters")
    return name


FolderName = Annotated[str, AfterValidator(check_folder_name)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH)]


class FolderCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Holidays", "description": "Photos from the road", "parent_id": None}]
        },
    )

    name: FolderName
    description: Description | None = None
    parent_id: uuid.UUID | None = None


class FolderUpdate(BaseModel):
    """Only the fields sent change; `parent_id: null` moves the folder to the top level."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Holidays 2026"}]})

    name: FolderName | None = None
    description: Description | None = None
    parent_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def refuse_null_name(self) -> "FolderUpdate":
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name may be left out but not null")
        return self

    @property
    def moves(self) -> bool:
        return "parent_id" in self.model_fields_set


class FolderRef(BaseModel):
    id: uuid.UUID
    name: str


class FolderRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    parent_id: uuid.UUID | None
    file_count: int = Field(description="live (not trashed) files in this folder and all its subfolders")
    total_size: int = Field(description="bytes of those files")
    direct_file_count: int = Field(description="live files directly in this folder")
    direct_size: int = Field(description="bytes of those files")
    folder_count: int = Field(description="direct subfolders")
    created_at: datetime
    updated_at: datetime


class FolderNode(FolderRead):
    """A folder in the caller's tree, with its subfolders nested."""

    children: list["FolderNode"]


class FolderDetail(FolderRead):
    """One folder: its direct subfolders (without their own children) and its path from the top."""

    children: list[FolderRead]
    path: list[FolderRef] = Field(description="ancestors from the top level down, this folder excluded")
