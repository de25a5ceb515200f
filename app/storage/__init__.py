"""The blob store seam: bytes by key (see base.BlobStore); `open_store` picks the store for the settings."""

from app.config import Settings
from app.storage.base import BlobStore
from app.storage.local import LocalBlobStore


def open_store(settings: Settings) -> BlobStore:
    if settings.storage_url:
        from app.storage.s3 import S3BlobStore, S3Location

        return S3BlobStore(
            S3Location.parse(
                settings.storage_url,
                access_key_id=settings.aws_access_key_id,
                secret_access_key=settings.aws_secret_access_key,
                region=settings.aws_region,
                endpoint_url=settings.aws_endpoint_url,
            )
        )
    store = LocalBlobStore(settings.upload_dir)
    store.prepare()
    return store
