"""Settings read from the environment (and an optional `.env`); names are fixed by API.md."""

import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.kinds import DEFAULT_ALLOWED_TYPES

SECRET_FILE_NAME = ".secret_key"
MIB = 1024 * 1024


class ConfigError(RuntimeError):
    """The configuration cannot run; the message is a one-line reason."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    host: str = "0.0.0.0"
    port: int = 5005
    database_url: str = "sqlite+aiosqlite:///./atrium.db"
    upload_dir: Path = Path("./uploads")
    secret_key: str | None = None
    max_file_size: int = Field(default=100 * MIB, gt=0)
    max_request_size: int | None = Field(default=None, gt=0)
    cors_origins: Annotated[list[str], NoDecode] = [
        "http://localhost:3000",
        "http://localhost:5173",
    ]
    access_token_minutes: int = Field(default=60 * 24, gt=0)
    login_attempts: int = Field(default=10, gt=0)
    login_window_seconds: int = Field(default=300, gt=0)
    default_storage_quota: int = Field(default=10 * 1024 * MIB, ge=0)
    trash_retention_days: int = Field(default=30, ge=0)
    stale_part_minutes: int = Field(default=60, ge=0)
    upload_expiry_hours: float = Field(default=24, gt=0)
    upload_rate_limit: int = Field(default=120, ge=0)
    upload_rate_window_seconds: int = Field(default=60, gt=0)
    render_rate_limit: int = Field(default=60, ge=0)
    render_rate_window_seconds: int = Field(default=60, gt=0)
    counts_flush_seconds: float = Field(default=1.0, gt=0)
    max_files_per_request: int = Field(default=100, gt=0)
    share_unlock_attempts: int = Field(default=10, gt=0)
    share_unlock_window_seconds: int = Field(default=300, gt=0)
    share_unlock_minutes: int = Field(default=60, gt=0)
    allowed_types: Annotated[list[str], NoDecode] = list(DEFAULT_ALLOWED_TYPES)
    # Operations (API.md): malware scanning, compression at rest, metrics and log format.
    clamd_address: str = ""
    scan_fail_mode: Literal["closed", "open"] = "closed"
    scan_timeout_seconds: float = Field(default=300, gt=0)
    compress_at_rest: bool = False
    metrics_enabled: bool = False
    log_format: Literal["text", "json"] = "text"
    # Scale (API.md): object storage, redirected downloads, signed rendition URLs.
    storage_url: str = ""
    download_redirect: bool = False
    signed_url_seconds: int = Field(default=0, ge=0)
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_region: str | None = None
    aws_endpoint_url: str | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("allowed_types", mode="before")
    @classmethod
    def split_types(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value

    @field_validator("clamd_address")
    @classmethod
    def check_clamd_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if value and not ((parts.scheme == "unix" and parts.path) or (parts.scheme == "tcp" and parts.port)):
            raise ValueError(f"CLAMD_ADDRESS must be tcp://host:port or unix:///path, not {value!r}")
        return value

    @field_validator("storage_url")
    @classmethod
    def check_storage_url(cls, value: str) -> str:
        if value and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^/].*)?", value):
            raise ValueError("STORAGE_URL must be empty or s3://bucket[/prefix]")
        return value.rstrip("/")

    @field_validator("cors_origins")
    @classmethod
    def refuse_wildcard(cls, value: list[str]) -> list[str]:
        if "*" in value:
            raise ValueError("CORS_ORIGINS must list origins; '*' is not allowed")
        return value

    @model_validator(mode="after")
    def refuse_placeholder_secret(self) -> "Settings":
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters")
        return self

    @property
    def request_size_limit(self) -> int:
        return self.max_request_size or self.max_file_size * 10

    @cached_property
    def signing_key(self) -> str:
        """The explicit SECRET_KEY, or one generated once and kept beside the data."""
        if self.secret_key:
            return self.secret_key
        if self.environment == "production":
            raise ConfigError("SECRET_KEY must be set when ENVIRONMENT=production")
        return load_or_create_secret(self.upload_dir / SECRET_FILE_NAME)

    @cached_property
    def allowed_type_set(self) -> frozenset[str]:
        return frozenset(self.allowed_types)


def load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def get_settings() -> Settings:
    return Settings()
