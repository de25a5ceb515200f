"""Every ORM table; importing this package registers them all on Base.metadata."""

from app.models.activity import Activity, RateLimitHit
from app.models.collection import Collection, CollectionItem
from app.models.file import File, FileTag, Folder, ImageMeta, Usage
from app.models.search import FileText
from app.models.share import Share
from app.models.upload import UploadSession
from app.models.user import AuthSession, User

__all__ = [
    "Activity",
    "AuthSession",
    "Collection",
    "CollectionItem",
    "File",
    "FileTag",
    "FileText",
    "Folder",
    "ImageMeta",
    "RateLimitHit",
    "Share",
    "UploadSession",
    "Usage",
    "User",
]
