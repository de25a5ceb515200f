import uuid

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class FileText(Base):
    """The searchable text of a text file (its first MiB); the search index reads it."""

    __tablename__ = "file_text"

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("file.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
