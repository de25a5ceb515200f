"""create_app(settings): routers, middleware, error handlers; the lifespan opens engine and storage."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.albums.router import router as albums_router
from app.auth.cache import TokenCache
from app.auth.router import router as auth_router
from app.config import Settings, get_settings
from app.contract import TAGS, document_contract
from app.db import create_engine, create_session_factory
from app.docs import install_docs
from app.errors import install_error_handlers
from app.files.router import router as files_router
from app.folders.router import router as folders_router
from app.gctune import server_gc
from app.health import router as health_router
from app.images.router import router as images_router
from app.ledger import Ledger
from app.limits import RequestSizeLimitMiddleware
from app.maintenance import service as maintenance
from app.maintenance.router import admin as admin_router
from app.maintenance.router import router as storage_router
from app.observe import ObserveMiddleware
from app.observe import router as metrics_router
from app.operations import operation_id
from app.portfolio.router import router as portfolio_router
from app.problems import document_problems
from app.requestid import RequestIdMiddleware, configure_logging
from app.search.router import router as search_router
from app.shares.page import router as share_page_router
from app.shares.public import router as share_public_router
from app.shares.router import router as shares_router
from app.signing import SigningContext, signer_of
from app.sqliteepoch import epoch_of
from app.storage import open_store
from app.storage.base import BlobStore
from app.uploads import protocol as tus
from app.uploads import service as uploads
from app.uploads.middleware import TusResumableHeader
from app.uploads.router import router as uploads_router
from app.work import create_image_work
from app.zips.router import router as zips_router

logger = logging.getLogger("atrium.startup")
# The streaming uploads may carry MAX_REQUEST_SIZE; every other body is small.
UPLOAD_PATHS = ("/api/upload", "/api/artworks/upload", f"{tus.TUS_PATH}/")

EXPOSED_HEADERS = [
    "Content-Disposition",
    "Content-Range",
    "Content-Length",
    "Accept-Ranges",
    "ETag",
    "Last-Modified",
    "Retry-After",
    "X-Request-ID",
    *tus.RESPONSE_HEADERS,
]


async def _remove_expired_uploads(session: AsyncSession, storage: BlobStore) -> None:
    """Best effort: a database that is down at start is /readyz's to report; `atrium cleanup` and the
    next start catch up."""
    try:
        await uploads.remove_expired(session, store=storage)
    except (SQLAlchemyError, OSError):
        logger.warning("could not remove expired resumable uploads at startup", exc_info=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings.database_url)
    storage = open_store(settings)
    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    app.state.token_cache = TokenCache(epoch_of(engine))
    async with app.state.session_factory() as session:
        await maintenance.sweep_parts(session, settings=settings, storage=storage)
        await _remove_expired_uploads(session, storage)
    app.state.storage = storage
    app.state.image_work = create_image_work()
    app.state.ledger = Ledger(app.state.session_factory, flush_seconds=settings.counts_flush_seconds)
    try:
        async with app.state.ledger.running():
            with server_gc():
                yield
    finally:
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.signing_key  # noqa: B018 - refuse to build an app that cannot sign tokens
    configure_logging(json_lines=settings.log_format == "json")
    app = FastAPI(
        title="Atrium",
        version="0.1.0",
        description="Files, photo galleries and artist portfolios.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        openapi_tags=TAGS,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_docs(app)
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(zips_router)
    app.include_router(files_router)
    app.include_router(folders_router)
    app.include_router(search_router)
    app.include_router(storage_router)
    app.include_router(admin_router)
    app.include_router(albums_router)
    app.include_router(images_router)
    app.include_router(portfolio_router)
    app.include_router(uploads_router)
    app.include_router(shares_router)
    app.include_router(share_public_router)
    app.include_router(share_page_router)
    if settings.metrics_enabled:
        app.include_router(metrics_router)
    app.add_middleware(
        RequestSizeLimitMiddleware, limit=settings.request_size_limit, upload_paths=UPLOAD_PATHS
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=[
            *("Authorization", "Content-Type", "Range", "If-None-Match", "If-Range", "X-Request-ID"),
            *tus.REQUEST_HEADERS,
        ],
        expose_headers=EXPOSED_HEADERS,
    )
    app.add_middleware(TusResumableHeader)
    app.add_middleware(ObserveMiddleware, access_log=settings.log_format == "json")
    app.add_middleware(SigningContext, signer=signer_of(settings))
    app.add_middleware(RequestIdMiddleware)
    document_problems(app)
    document_contract(app)
    return app
