import uuid
from dataclasses import dataclass

from app.files.schemas import FileFilters, FileRead


@dataclass
class SearchFilters(FileFilters):
    """The file list's filters, plus `album_id`."""

    album_id: uuid.UUID | None = None


class SearchHit(FileRead):
    score: float
