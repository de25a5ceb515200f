import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]
Password = Annotated[str, Field(min_length=8, max_length=1024)]


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_album_privacy: Literal["private", "public", "shared"] = "private"
    default_sort: Literal["created_at", "name", "size", "taken_at", "updated_at"] = "created_at"
    thumbnail_size: Literal["small", "medium", "large"] = "small"


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_album_privacy: Literal["private", "public", "shared"] | None = None
    default_sort: Literal["created_at", "name", "size", "taken_at", "updated_at"] | None = None
    thumbnail_size: Literal["small", "medium", "large"] | None = None


class UserRegister(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"username": "alice", "email": "alice@example.com", "password": "correct horse battery"}
            ]
        }
    )

    username: Username
    email: EmailStr
    password: Password


class UserLogin(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "alice", "password": "correct horse battery"}]}
    )

    username: Annotated[str, Field(min_length=1, max_length=320, description="username or email")]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class TokenForm(BaseModel):
    """The OAuth2 password grant (RFC 6749 4.3) as Swagger UI's Authorize dialog sends it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"grant_type": "password", "username": "alice", "password": "correct horse battery"}]
        }
    )

    grant_type: Annotated[str, Field(pattern=r"^password$")] | None = None
    username: Annotated[str, Field(min_length=1, max_length=320, description="username or email")]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    scope: str = Field(default="", description="ignored: Atrium has no scopes")
    client_id: str | None = None
    client_secret: str | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "alice@example.org", "preferences": {"default_album_privacy": "public"}}]
        },
    )

    email: EmailStr | None = None
    preferences: PreferencesUpdate | None = None


class UserStats(BaseModel):
    total_files: int
    total_images: int
    storage_used: int
    storage_quota: int


class UserRead(BaseModel):
    id: uuid.UUID
    username: str
    email: str
    created_at: datetime
    is_admin: bool = False
    preferences: Preferences


class UserDetail(UserRead):
    stats: UserStats


class AuthResult(BaseModel):
    user: UserRead
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


class TokenResult(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
