from typing import Annotated

from fastapi import APIRouter, Form, Response, status

from app.auth import service
from app.auth.dependencies import (
    AUTH_RESPONSES,
    ClientAddress,
    CurrentAuth,
    CurrentUser,
    SettingsDep,
)
from app.auth.schemas import (
    AuthResult,
    TokenForm,
    TokenResult,
    UserDetail,
    UserLogin,
    UserRegister,
    UserUpdate,
)
from app.db import SessionDep
from app.problems import AUTH, problems

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=problems("username_taken", "email_taken"),
)
async def register(data: UserRegister, session: SessionDep, settings: SettingsDep) -> AuthResult:
    """Create an account and sign in."""
    return await service.register(session, settings=settings, data=data)


@router.post(
    "/login",
    responses=problems("invalid_credentials", "rate_limited"),
)
async def login(
    data: UserLogin, session: SessionDep, settings: SettingsDep, client: ClientAddress
) -> AuthResult:
    """Sign in with a username or email and a password."""
    return await service.login(session, settings=settings, data=data, client=client)


@router.post(
    "/token",
    responses=problems("invalid_credentials", "rate_limited"),
)
async def token(
    form: Annotated[TokenForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    client: ClientAddress,
) -> TokenResult:
    """OAuth2 password flow, for Swagger UI's Authorize button."""
    data = UserLogin(username=form.username, password=form.password)
    result = await service.login(session, settings=settings, data=data, client=client)
    return TokenResult(access_token=result.access_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=AUTH_RESPONSES)
async def logout(auth: CurrentAuth, session: SessionDep) -> Response:
    """Revoke the token used for this call."""
    await service.logout(session, session_id=auth.session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/user", responses=AUTH_RESPONSES)
async def get_user(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> UserDetail:
    """The caller's account with storage statistics."""
    return await service.user_detail(session, settings=settings, user=user)


@router.patch("/user", responses=problems(*AUTH, "email_taken"))
async def update_user(
    data: UserUpdate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> UserDetail:
    """Change the caller's email or preferences."""
    return await service.update_user(session, settings=settings, user=user, data=data)
