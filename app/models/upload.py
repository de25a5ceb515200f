import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class UploadSession(Base):
    """A resumable (tus) upload: its bytes live on the blob store under the id until it ends.

    `state` is `receiving` until the last byte makes a file (`done`, `file_id`) or a rule refuses
    it (`refused`, `error_code`/`error_detail`). `length` is null while deferred. A partial upload
    (`concat` = `partial`) never becomes a file itself: a final one (`concat` = `final`) is made of
    partials' bytes."""

    __tablename__ = "upload_session"
    __table_args__ = (
        Index("ix_upload_session_owner_state", "owner_id", "state", "created_at"),
        Index("ix_upload_session_expires_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    length: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    upload_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    filename: Mapped[str] = mapped_column(String(255))
    folder_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    mime_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    concat: Mapped[str] = mapped_column(String(8), default="")
    state: Mapped[str] = mapped_column(String(16), default="receiving")
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file.id", ondelete="SET NULL"), nullable=True
    )
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
