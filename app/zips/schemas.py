import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_ZIP_FILES = 10_000


class FilesZip(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_ZIP_FILES)]
