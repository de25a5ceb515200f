import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow


class Folder(Base):
    __tablename__ = "folder"
    __table_args__ = (Index("ix_folder_owner_parent", "owner_id", "parent_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("folder.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Live files directly in this folder, kept exact by app.library.usage in every change's transaction.
    live_files: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    live_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Usage(Base):
    """How many files of one kind an owner keeps, live or in the trash, and their bytes.

    Kept exact by app.library.usage in the transaction of every change, so totals, stats and
    quota checks read a handful of rows instead of every file.
    """

    __tablename__ = "usage"

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    trashed: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    files: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # what compression at rest saved of `bytes` (stored bytes: bytes - saved)
    saved: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class File(Base):
    """Any stored file; images carry an ImageMeta row, artworks the portfolio fields."""

    __tablename__ = "file"
    __table_args__ = (
        # one index per sort of the file list (id breaks ties); SQLite reads them backwards for desc
        Index("ix_file_owner_listing", "owner_id", "deleted_at", "created_at", "id"),
        Index("ix_file_owner_name", "owner_id", "deleted_at", "name", "id"),
        Index("ix_file_owner_size", "owner_id", "deleted_at", "size", "id"),
        Index("ix_file_owner_updated", "owner_id", "deleted_at", "updated_at", "id"),
        Index("ix_file_owner_downloads", "owner_id", "deleted_at", "download_count", "id"),
        # covers the owner and trash checks of a search hit found by id
        Index("ix_file_id_live", "id", "owner_id", "deleted_at", "created_at"),
        Index("ix_file_owner_folder", "owner_id", "folder_id"),
        Index("ix_file_owner_sha256", "owner_id", "sha256"),
        # the backfill's next batch of files not read by the current app.previews yet
        Index("ix_file_derived", "derived_version", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    folder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("folder.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    mime_type: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # How the original is stored (app.storage.packed): None as its bytes, "zstd" compressed, then
    # `stored_size` bytes on the store. `size` and `sha256` are always the logical bytes'.
    encoding: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stored_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    last_accessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file.id", ondelete="SET NULL"), nullable=True
    )
    is_artwork: Mapped[bool] = mapped_column(Boolean, default=False)
    medium: Mapped[str | None] = mapped_column(String(255), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dimensions: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # What app.previews read from the bytes (PDF pages; audio and video duration and frame size),
    # and which version of that reading ran (None: not yet; `atrium cleanup --backfill` does it).
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    media_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    media_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    derived_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    tags: Mapped[list["FileTag"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    image: Mapped["ImageMeta | None"] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )


class FileTag(Base):
    __tablename__ = "file_tag"
    # the owner's tags without reading the owner's files: O(tags), not O(files), for GET /api/tags
    __table_args__ = (Index("ix_file_tag_owner_name", "owner_id", "name", "file_id"),)

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("file.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    # the file's owner, copied (a file never changes owner); no foreign key: SQLite cannot add one
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class ImageMeta(Base):
    """Dimensions (as displayed) and EXIF of an image file."""

    __tablename__ = "image_meta"

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("file.id", ondelete="CASCADE"), primary_key=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    camera_make: Mapped[str | None] = mapped_column(String(128), nullable=True)
    camera_model: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lens: Mapped[str | None] = mapped_column(String(128), nullable=True)
    exposure_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    f_number: Mapped[float | None] = mapped_column(Float, nullable=True)
    iso: Mapped[int | None] = mapped_column(Integer, nullable=True)
    focal_length: Mapped[float | None] = mapped_column(Float, nullable=True)
    gps_latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    gps_longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    orientation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    exif: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    thumbhash: Mapped[str | None] = mapped_column(String(64), nullable=True)
