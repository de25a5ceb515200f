"""Who is calling: `CurrentUser` for protected routes, `OptionalUser` for public ones."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth import service
from app.auth.cache import TokenCache
from app.auth.service import Authenticated
from app.config import Settings
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.models import User
from app.problems import AUTH, Responses, problems
from app.requestid import note_user

SCHEME = "OAuth2PasswordBearer"
# The same bearer token, on routes that serve visitors too; the document shows it as optional.
OPTIONAL_SCHEME = "OptionalOAuth2PasswordBearer"
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False, scheme_name=SCHEME)
optional_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/auth/token", auto_error=False, scheme_name=OPTIONAL_SCHEME
)

AUTH_RESPONSES: Responses = problems(*AUTH)


# async although it awaits nothing: FastAPI runs a sync dependency in a worker thread
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
Token = Annotated[str | None, Depends(oauth2_scheme)]
OptionalToken = Annotated[str | None, Depends(optional_scheme)]


async def get_token_cache(request: Request) -> TokenCache | None:
    cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
    return cache


TokenCacheDep = Annotated[TokenCache | None, Depends(get_token_cache)]


async def get_authenticated(
    session: SessionDep, settings: SettingsDep, token: Token, cache: TokenCacheDep
) -> Authenticated:
    if not token:
        raise Unauthorized("a bearer token is required")
    authenticated = await service.authenticate(session, settings=settings, token=token, cache=cache)
    note_user(authenticated.user.id)
    return authenticated


async def get_current_user(auth: Annotated[Authenticated, Depends(get_authenticated)]) -> User:
    return auth.user


async def get_optional_user(
    session: SessionDep, settings: SettingsDep, token: OptionalToken, cache: TokenCacheDep
) -> User | None:
    """Anonymous when no token is sent; a token that is sent must still be valid."""
    if not token:
        return None
    user = (await service.authenticate(session, settings=settings, token=token, cache=cache)).user
    note_user(user.id)
    return user


CurrentAuth = Annotated[Authenticated, Depends(get_authenticated)]
CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


async def get_admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("this needs an administrator", code="admin_required")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]
ADMIN_RESPONSES: Responses = problems(*AUTH, "admin_required")
