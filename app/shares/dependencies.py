"""The link a public request is about, opened with the unlock token it carries (an
`Authorization: Bearer` header, or the cookie the page's password form sets)."""

from typing import Annotated

from fastapi import Depends, Path, Request

from app.auth.dependencies import SettingsDep
from app.db import SessionDep
from app.shares import links
from app.shares.links import Link

UNLOCK_COOKIE = "atrium_share_unlock"
ShareToken = Annotated[str, Path(min_length=1, max_length=64, description="the link's token")]


def unlock_token_of(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(UNLOCK_COOKIE)


async def get_link(request: Request, token: ShareToken, session: SessionDep, settings: SettingsDep) -> Link:
    return await links.open_link(session, settings=settings, token=token, unlock=unlock_token_of(request))


LinkDep = Annotated[Link, Depends(get_link)]
# Every public route's refusals of the link itself.
LINK_CODES = ("share_not_found", "share_expired", "share_locked")
