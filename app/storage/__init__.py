"""The blob store seam: bytes by key (see base.BlobStore); `open_store` picks the store for the settings."""

from app.config import Settings
from app.storage.base import BlobStore
from app.storage.local import LocalBlobStore


def open_store(settings: Settings) -> BlobStore:
    store = LocalBlobStore(settings.upload_dir)
    store.prepare()
    return store
