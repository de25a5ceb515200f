"""What the collection service takes and returns: plain data, so schemas can build on it without
importing the service."""

import uuid
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from app.models import Collection, File

Kind = Literal["album", "gallery"]


class CollectionChanges(TypedDict, total=False):
    """A partial update in model terms; keys that are absent stay unchanged."""

    name: str
    description: str | None
    visibility: str
    cover_file_id: uuid.UUID | None
    parent_id: uuid.UUID | None
    allow_original_download: bool


@dataclass
class CollectionView:
    collection: Collection
    item_count: int


@dataclass
class CollectionDetail(CollectionView):
    files: list[File] = field(default_factory=list)
