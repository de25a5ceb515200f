import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_ZIP_FILES = 10_000


class FilesZip(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"file_ids": ["3d6f0a52-8c1e-4d7b-9f2a-5b8e1c0d4a71"]}]},
    )

    file_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_ZIP_FILES)]
