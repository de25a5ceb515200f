"""What the collection service takes and returns: plain data, so schemas can build on it without
importing the service."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, cast

from pydantic import BaseModel

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


def collection_changes(
    data: BaseModel, *, if_given: Mapping[str, str], if_sent: Mapping[str, str]
) -> CollectionChanges:
    """A request body as model changes: `if_given` fields count when not null (null means "leave
    it"), `if_sent` fields whenever sent (null clears them); each maps a body field to a column."""
    changes: dict[str, Any] = {}
    for field_name, column in if_given.items():
        if (value := getattr(data, field_name)) is not None:
            changes[column] = value
    for field_name, column in if_sent.items():
        if field_name in data.model_fields_set:
            changes[column] = getattr(data, field_name)
    return cast(CollectionChanges, changes)
