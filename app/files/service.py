"""Owned files: lookups, listing, edits, moves, trash. Every query starts from the owner."""

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePath
from typing import Any, Protocol, TypeVar, cast

from pydantic import TypeAdapter
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    bindparam,
    delete,
    func,
    inspect,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from sqlalchemy.sql import Executable

from app import activity, kinds, sqliteepoch
from app.db import utcnow
from app.errors import NotFound, UnsupportedMediaType
from app.files import derived
from app.files.download import Download, TextPreview
from app.files.originals import OriginalColumns, original_of
from app.files.previews import TEXT_PREVIEW_BYTES, ensure_thumbnail, read_text_head
from app.files.schemas import (
    READ_COLUMNS,
    AccessEntry,
    FileDetail,
    FileFilters,
    FileMove,
    FileRead,
    FileUpdate,
    ImageColumns,
    SortField,
    columns_fields,
    file_detail,
    file_read,
)
from app.folders import service as folders
from app.imaging.thumbnails import THUMBNAIL_FORMAT, THUMBNAIL_MEDIA_TYPE
from app.ledger import Ledger
from app.library import trash, usage
from app.models import Activity, File, FileTag, ImageMeta, User
from app.pagination import MAX_PAGE, Cursor, CursorPage, Page, PageParams, Position, invalid_cursor
from app.storage import keys
from app.storage.base import BlobNotFound, BlobStore
from app.storage.packed import Stored
from app.work import ImageWork, end_read_before, stat_or_none

ReadT = TypeVar("ReadT", bound=FileRead)
AnyRow = Row[*tuple[Any, ...]]
# The image row (one-to-one) rides along in a LEFT JOIN: one query fewer per file or page.
FILE_LOAD: tuple[LoaderOption, ...] = (selectinload(File.tags), joinedload(File.image))
HISTORY_LENGTH = 20


def file_not_found() -> NotFound:
    return NotFound("file not found", code="file_not_found")


async def get_owned_file(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    file_id: uuid.UUID,
    trashed: bool | None = False,
    eager: bool = True,
) -> File:
    """The caller's file, with tags and image loaded unless `eager=False`; `trashed=None` finds
    it either way."""
    file = await session.scalar(_owned_file(trashed, eager=eager), {"file_id": file_id, "owner_id": owner_id})
    if file is None:
        raise file_not_found()
    return file


@functools.cache
def _owned_file(trashed: bool | None, *, eager: bool) -> Select[File]:
    """Built once: most file routes start here, and a statement reused skips its construction
    and the computing of its cache key."""
    query = select(File).where(File.id == bindparam("file_id"), File.owner_id == bindparam("owner_id"))
    if eager:
        query = query.options(*FILE_LOAD)
    if trashed is not None:
        query = query.where(File.deleted_at.is_not(None) if trashed else File.deleted_at.is_(None))
    return query


async def resolve_folder_field(
    session: AsyncSession, *, owner_id: uuid.UUID, raw: str | None
) -> uuid.UUID | None:
    """The upload's `folder_id` form field: empty or `root` is the top level."""
    if raw is None or raw.strip() in ("", "root", "null"):
        return None
    try:
        folder_id = uuid.UUID(raw.strip())
    except ValueError as exc:
        raise folders.folder_not_found() from exc
    return (await folders.get_owned_folder(session, owner_id=owner_id, folder_id=folder_id)).id


async def used_bytes(session: AsyncSession, *, owner_id: uuid.UUID) -> int:
    """Bytes the owner stores, trash included (from the usage counters; the same value the owner's
    lock reads on SQLite)."""
    return int(await session.scalar(usage.STORED_BYTES_OF, {"owner_id": owner_id}) or 0)


async def lock_owner(session: AsyncSession, *, owner_id: uuid.UUID) -> int:
    """Hold the owner's write lock until the session's transaction ends; answers the bytes the
    owner stores (trash included), read under it.

    A no-op UPDATE of the owner's row: on PostgreSQL a row lock (uploads of other owners go on),
    on SQLite the database write lock (SQLite has one writer at a time anyway). Either way a
    read made after it sees every commit made before it, and no other writer of this owner
    commits until this transaction does. `SELECT ... FOR UPDATE` would be a no-op on SQLite.
    """
    values = {"owner_id": owner_id}
    if session.get_bind().dialect.name == "sqlite":
        # The write gate is passed before the statement starts, so its RETURNING sees every
        # commit: the bytes ride along, one trip fewer while the lock is held.
        return int((await session.execute(OWNER_LOCK_READING_BYTES, values)).scalar() or 0)
    # PostgreSQL's RETURNING would read the snapshot taken before the wait for the row lock.
    await session.execute(OWNER_LOCK, values)
    return await used_bytes(session, owner_id=owner_id)


OWNER_LOCK = (
    update(User)
    .where(User.id == bindparam("owner_id"))
    .values(updated_at=User.updated_at)
    .execution_options(synchronize_session=False, **{sqliteepoch.UNCHANGED: True})
)
OWNER_LOCK_READING_BYTES = OWNER_LOCK.returning(usage.STORED_BYTES)


async def link_duplicates(session: AsyncSession, *, owner_id: uuid.UUID, rows: Sequence[File]) -> None:
    """Point each new row at the earliest live file of the owner with the same bytes.
    Only stages (the caller commits)."""
    digests = {row.sha256 for row in rows}
    query = (
        select(File.sha256, File.id)
        .where(File.owner_id == owner_id, File.deleted_at.is_(None), File.sha256.in_(digests))
        .order_by(File.created_at.desc(), File.id.desc())
    )
    earliest = {sha: file_id for sha, file_id in (await session.execute(query)).all()}
    for row in rows:
        row.duplicate_of_id = earliest.get(row.sha256)
        earliest.setdefault(row.sha256, row.id)


async def add_uploaded(session: AsyncSession, *, rows: Sequence[File]) -> None:
    """Add new files with their image rows and upload activity; flushes, the caller commits."""
    for row in rows:
        session.add(row)
        if row.image is not None:
            session.add(row.image)
        activity.record(
            session, owner_id=row.owner_id, file_id=row.id, action="upload", actor_id=row.owner_id
        )
    await session.flush()
    await usage.added(session, rows)


def filter_clauses(filters: FileFilters) -> list[ColumnElement[bool]]:
    """The `File` conditions for the file list's filters (search applies them too)."""
    clauses: list[ColumnElement[bool]] = []
    if filters.type:
        if "/" in filters.type:
            clauses.append(File.mime_type.startswith(filters.type.lower(), autoescape=True))
        else:
            clauses.append(File.kind == filters.type.lower())
    if filters.folder_id == "root":
        clauses.append(File.folder_id.is_(None))
    elif filters.folder_id:
        clauses.append(File.folder_id == _parse_uuid(filters.folder_id))
    if filters.created_after is not None:
        clauses.append(File.created_at >= filters.created_after)
    if filters.created_before is not None:
        clauses.append(File.created_at < filters.created_before)
    if filters.min_size is not None:
        clauses.append(File.size >= filters.min_size)
    if filters.max_size is not None:
        clauses.append(File.size <= filters.max_size)
    if filters.tag:
        tag = " ".join(filters.tag.split()).lower()
        clauses.append(File.tags.any(FileTag.name == tag))
    return clauses


def _parse_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise folders.folder_not_found() from exc


async def _page_of(
    session: AsyncSession, query: Select[File], page: PageParams, *, total: int | None = None
) -> Page[FileRead]:
    """A page by offset; `total` when the counters know it, else counted."""
    if total is None:
        total = await count_rows(session, query)
    rows = (await session.scalars(query.offset(page.offset).limit(page.per_page).options(*FILE_LOAD))).all()
    return Page(items=[file_read(row) for row in rows], total=total, page=page.page, per_page=page.per_page)


async def count_rows(session: AsyncSession, query: Select[Any]) -> int:
    return await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "name": File.name,
    "size": File.size,
    "created_at": File.created_at,
    "updated_at": File.updated_at,
    "download_count": File.download_count,
}


async def list_files(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    filters: FileFilters,
    sort: SortField,
    page: PageParams,
    ledger: Ledger,
    cursor: str | None = None,
) -> CursorPage[FileRead]:
    """A page by offset, or after `cursor` by index position (no offset to walk); either way with
    the cursor of the page after it. Sorted by downloads, after this process's pending ones are written."""
    if sort == "download_count":
        await ledger.flush_for_read(session)
    ordering = f"{sort}:{page.order}"
    number, offset = page.page, page.offset
    if cursor is None and not filters.narrowed():
        statement = _plain_page(sort, page.order)
    else:
        query = list_query(owner_id=bindparam("owner_id"), filters=filters, sort=sort, order=page.order)
        if cursor is not None:
            after = Cursor.decode(cursor, ordering=ordering)
            query, number, offset = query.where(_beyond(after, sort=sort, order=page.order)), after.page, 0
        statement = page_rows(query.offset(bindparam("offset")).limit(bindparam("limit")))
    values = {"owner_id": owner_id, "offset": offset, "limit": page.per_page + 1}
    rows = await fetch_rows(session, statement, values)
    total = await live_total(session, owner_id=owner_id, filters=filters)
    if total is None:
        total = await count_rows(
            session, list_query(owner_id=owner_id, filters=filters, sort=sort, order="asc")
        )
    following = None
    if len(rows) > page.per_page:
        last = rows[page.per_page - 1]
        position = _position(getattr(last, sort))
        following = Cursor(ordering, position, last.id, min(number + 1, MAX_PAGE)).encode()
    items = await read_rows(session, rows[: page.per_page], FileRead)
    return CursorPage(items=items, total=total, page=number, per_page=page.per_page, next_cursor=following)


# The image's columns under their own names (none is a `READ_COLUMNS` name), so a row reads as
# `ImageColumns`; its key, labelled, tells a file without one.
IMAGE_COLUMNS = (
    ImageMeta.file_id.label("image_file_id"),
    *(column for column in ImageMeta.__table__.columns if column.key != "file_id"),
)


def page_rows(query: Select[Any]) -> Select[Any]:
    """`query`'s rows as `READ_COLUMNS` and the image's `IMAGE_COLUMNS` (an outer join by key)."""
    columns = query.with_only_columns(*READ_COLUMNS, *IMAGE_COLUMNS)
    return cast("Select[Any]", columns.outerjoin_from(File, ImageMeta, ImageMeta.file_id == File.id))


async def fetch_rows(
    session: AsyncSession, statement: Executable, values: dict[str, Any] | None = None
) -> Sequence[AnyRow]:
    """A statement of plain columns run on the session's connection: rows without the ORM's
    loading (no entities, no identity map) for a page of a list."""
    return (await (await session.connection()).execute(statement, values)).all()


TAGS_OF = select(FileTag.file_id, FileTag.name).where(FileTag.file_id.in_(bindparam("ids", expanding=True)))


async def read_rows(session: AsyncSession, rows: Sequence[AnyRow], model: type[ReadT]) -> list[ReadT]:
    """`model`s of `page_rows` rows, with their tags in one statement, checked in one call. The
    fields a FileRead subclass adds (a search hit's `score`) are the row's columns of the same names."""
    if not rows:
        return []
    tags: dict[uuid.UUID, list[str]] = {}
    for file_id, name in await fetch_rows(session, TAGS_OF, {"ids": [row.id for row in rows]}):
        tags.setdefault(file_id, []).append(name)
    added = model.model_fields.keys() - FileRead.model_fields.keys()
    fields = [
        columns_fields(
            row,
            tags=sorted(tags.get(row.id, ())),
            image=None if row.image_file_id is None else cast(ImageColumns, row),
        )
        | {name: getattr(row, name) for name in added}
        for row in rows
    ]
    return _list_of(model).validate_python(fields)


@functools.cache
def _list_of(model: type[ReadT]) -> TypeAdapter[list[ReadT]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _position(value: object) -> Position:
    if isinstance(value, datetime):
        return value.isoformat()
    assert isinstance(value, str | int), value
    return value


def _beyond(after: Cursor, *, sort: str, order: str) -> ColumnElement[bool]:
    """Rows after the cursor's in the list's order (sort column, then id)."""
    column = SORT_COLUMNS[sort]
    value: object = after.value
    if sort in ("created_at", "updated_at"):
        value = _parse_datetime(after.value)
    elif (sort == "name" and not isinstance(value, str)) or (sort != "name" and not isinstance(value, int)):
        raise invalid_cursor()
    key, mark = (
        tuple_(column, File.id),
        tuple_(literal(value, column.type), literal(after.last_id, File.id.type)),
    )
    return key < mark if order == "desc" else key > mark


def _parse_datetime(value: Position) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise invalid_cursor() from exc


async def live_total(session: AsyncSession, *, owner_id: uuid.UUID, filters: FileFilters) -> int | None:
    """The number of live files a list shows, from the counters, when its filters are ones they
    keep (none, a kind, a folder); None when the rows must be counted."""
    narrowed = filters.narrowed()
    kind = filters.type.lower() if filters.type and "/" not in filters.type else None
    if not narrowed:
        return (await usage.count(session, owner_id=owner_id, trashed=False)).files
    if narrowed == {"type"} and kind is not None:
        return (await usage.count(session, owner_id=owner_id, trashed=False, kind=kind)).files
    if narrowed == {"folder_id"} and filters.folder_id == "root":
        live = (await usage.count(session, owner_id=owner_id, trashed=False)).files
        return live - await folders.live_files_in_folders(session, owner_id=owner_id)
    if narrowed == {"folder_id"}:
        return await folders.live_files_in(
            session, owner_id=owner_id, folder_id=_parse_uuid(str(filters.folder_id))
        )
    return None


def list_query(
    *, owner_id: uuid.UUID | BindParameter[Any], filters: FileFilters, sort: SortField, order: str
) -> Select[File]:
    """Live files of the owner in `sort` order; each sort has its index (see the File model)."""
    column = SORT_COLUMNS[sort]
    direction = (column.desc(), File.id.desc()) if order == "desc" else (column.asc(), File.id.asc())
    return (
        select(File)
        .where(File.owner_id == owner_id, File.deleted_at.is_(None), *filter_clauses(filters))
        .order_by(*direction)
    )


@functools.cache
def _plain_page(sort: SortField, order: str) -> Select[Any]:
    """The list's page with no filter and no cursor, the common one, built once (see `_owned_file`)."""
    query = list_query(owner_id=bindparam("owner_id"), filters=FileFilters(), sort=sort, order=order)
    return page_rows(query.offset(bindparam("offset")).limit(bindparam("limit")))


async def check_integrity(storage: BlobStore, file: File) -> str:
    try:
        stored = await storage.stat(keys.original(file.storage_key))
    except BlobNotFound:
        return "missing"
    expected = file.size if file.stored_size is None else file.stored_size
    return "ok" if stored.size == expected else "size_mismatch"


async def get_file_detail(
    session: AsyncSession, *, storage: BlobStore, ledger: Ledger, owner_id: uuid.UUID, file_id: uuid.UUID
) -> FileDetail:
    """With this process's pending counts written first (see app/ledger.py)."""
    await ledger.flush_for_read(session)
    file = await get_owned_file(session, owner_id=owner_id, file_id=file_id, trashed=None)
    rows = await session.scalars(
        select(Activity)
        .where(Activity.owner_id == owner_id, Activity.file_id == file.id)
        .order_by(Activity.at.desc(), Activity.id.desc())
        .limit(HISTORY_LENGTH)
    )
    history = [AccessEntry(action=row.action, at=row.at, actor_id=row.actor_id) for row in rows]
    await end_read_before(storage, session)
    return file_detail(file, integrity=await check_integrity(storage, file), history=history)


async def update_file(
    session: AsyncSession, *, owner_id: uuid.UUID, file_id: uuid.UUID, data: FileUpdate
) -> FileRead:
    """Renames or re-describes the caller's file; owns the unit of work and commits."""
    file = await get_owned_file(session, owner_id=owner_id, file_id=file_id)
    await apply_file_update(session, file=file, data=data)
    await session.commit()
    if "tags" in inspect(file).unloaded:  # replaced tags were expired; the rest is as written
        await session.refresh(file, ["tags"])
    return file_read(file)


async def apply_file_update(session: AsyncSession, *, file: File, data: FileUpdate) -> None:
    """Applies the fields `data` sets (name, title, description, tags) to an owned file and flushes; the
    caller commits, so images and artworks change their own fields in the same transaction."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is not None and changes["name"] != file.name:
        refuse_active_name(changes["name"], file.mime_type)
        file.name = changes["name"]
        activity.record(
            session, owner_id=file.owner_id, file_id=file.id, action="rename", actor_id=file.owner_id
        )
    if "title" in changes:
        file.title = changes["title"]
    if "description" in changes:
        file.description = changes["description"]
    if changes.get("tags") is not None:
        await _replace_tags(session, file=file, tags=changes["tags"])
    file.updated_at = utcnow()
    await session.flush()


async def _replace_tags(session: AsyncSession, *, file: File, tags: list[str]) -> None:
    """Flushes; the caller commits."""
    await session.execute(delete(FileTag).where(FileTag.file_id == file.id))
    session.add_all(FileTag(file_id=file.id, owner_id=file.owner_id, name=tag) for tag in tags)
    await session.flush()
    session.expire(file, ["tags"])


def refuse_active_name(name: str, mime_type: str) -> None:
    """A rename cannot give bytes a name that a browser or a system would run (see kinds)."""
    active = kinds.active_extension(name, mime_type)
    if active is not None and mime_type != kinds.EMPTY_TYPE:
        raise UnsupportedMediaType(
            f"'{name}' is named like an active or executable .{active} file but its content is {mime_type}",
            code="type_mismatch",
        )


async def move_file(
    session: AsyncSession, *, owner_id: uuid.UUID, file_id: uuid.UUID, data: FileMove
) -> FileRead:
    """Owns the unit of work and commits."""
    file = await get_owned_file(session, owner_id=owner_id, file_id=file_id)
    if data.target_folder_id is not None:
        await folders.get_owned_folder(session, owner_id=owner_id, folder_id=data.target_folder_id)
    if file.folder_id != data.target_folder_id:
        tally = usage.Tally()
        tally.take([file])
        file.folder_id = data.target_folder_id
        file.updated_at = utcnow()
        tally.put([file])
        await usage.apply(session, tally)
        activity.record(session, owner_id=owner_id, file_id=file.id, action="move", actor_id=owner_id)
        await session.commit()
    return file_read(file)


class DownloadColumns(OriginalColumns, Protocol):
    """A `File`, or a row of `OWNED_ORIGINAL`: what serving its original needs."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def owner_id(self) -> uuid.UUID: ...
    @property
    def mime_type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


# The caller's live file as a plain row of what its download needs: the route that serves bytes,
# and Range reads above all, skips the ORM's loading of a whole `File`.
OWNED_ORIGINAL = select(
    File.id,
    File.owner_id,
    File.storage_key,
    File.size,
    File.encoding,
    File.mime_type,
    File.name,
    File.sha256,
    File.created_at,
).where(File.id == bindparam("file_id"), File.owner_id == bindparam("owner_id"), File.deleted_at.is_(None))


async def download_file(
    session: AsyncSession, *, storage: BlobStore, ledger: Ledger, owner_id: uuid.UUID, file_id: uuid.UUID
) -> Download:
    rows = await fetch_rows(session, OWNED_ORIGINAL, {"file_id": file_id, "owner_id": owner_id})
    if not rows:
        raise file_not_found()
    return original_download(
        storage=storage, ledger=ledger, file=cast(DownloadColumns, rows[0]), actor_id=owner_id
    )


def original_download(
    *, storage: BlobStore, ledger: Ledger, file: DownloadColumns, actor_id: uuid.UUID | None
) -> Download:
    """The original bytes as an attachment; sending them in full counts a download (in the ledger)."""

    async def count() -> None:
        ledger.download(owner_id=file.owner_id, file_id=file.id, actor_id=actor_id)

    return Download(
        store=storage,
        blob=original_of(file),
        media_type=file.mime_type,
        filename=file.name,
        etag=file.sha256,
        last_modified=file.created_at,
        on_full_get=count,
    )


async def trash_file(
    session: AsyncSession, *, storage: BlobStore, owner_id: uuid.UUID, file_id: uuid.UUID, permanent: bool
) -> None:
    """Owns the unit of work and commits."""
    if permanent:
        file = await get_owned_file(session, owner_id=owner_id, file_id=file_id, trashed=None, eager=False)
        await trash.purge_files(session, storage=storage, files=[file], actor_id=owner_id)
    elif await trash.trash_files(session, owner_id=owner_id, file_ids=[file_id]):
        await session.commit()
    else:  # already in the trash, or not the caller's file at all
        await get_owned_file(session, owner_id=owner_id, file_id=file_id, trashed=True, eager=False)


async def restore_file(session: AsyncSession, *, owner_id: uuid.UUID, file_id: uuid.UUID) -> FileRead:
    """Back from the trash into its folder; trashing took it out of every collection and it stays out.
    Owns the unit of work and commits."""
    file = await get_owned_file(session, owner_id=owner_id, file_id=file_id, trashed=None)
    if file.deleted_at is not None:
        if not await trash.restore_files(session, owner_id=owner_id, file_ids=[file.id]):
            await session.refresh(file, ["deleted_at", "updated_at"])  # another request restored it
        await session.commit()
    return file_read(file)


async def list_trash(session: AsyncSession, *, owner_id: uuid.UUID, page: PageParams) -> Page[FileRead]:
    order = (File.deleted_at.desc(), File.id.desc()) if page.order == "desc" else (File.deleted_at, File.id)
    query = select(File).where(File.owner_id == owner_id, File.deleted_at.is_not(None)).order_by(*order)
    trashed = await usage.count(session, owner_id=owner_id, trashed=True)
    return await _page_of(session, query, page, total=trashed.files)


async def empty_trash(session: AsyncSession, *, storage: BlobStore, owner_id: uuid.UUID) -> None:
    trashed = (
        await session.scalars(select(File).where(File.owner_id == owner_id, File.deleted_at.is_not(None)))
    ).all()
    await trash.purge_files(session, storage=storage, files=trashed, actor_id=owner_id)


async def preview_file(
    session: AsyncSession, *, storage: BlobStore, work: ImageWork, owner_id: uuid.UUID, file_id: uuid.UUID
) -> Download | TextPreview:
    """Images: the small thumbnail; text: its first 64 KiB as plain text; PDFs and videos: the
    preview made at upload (or by the backfill); else 404."""
    file = await get_owned_file(session, owner_id=owner_id, file_id=file_id)
    if file.kind == "image":
        key, _ = await ensure_thumbnail(
            storage,
            work,
            storage_key=file.storage_key,
            source=original_of(file),
            size="small",
            reader=session,
        )
        return Download(
            store=storage,
            blob=Stored(key),
            media_type=THUMBNAIL_MEDIA_TYPE,
            filename=f"{PurePath(file.name).stem or 'preview'}.{THUMBNAIL_FORMAT}",
            etag=f"{file.sha256}-small",
            last_modified=file.created_at,
            disposition="inline",
        )
    await end_read_before(storage, session)
    if file.kind == "text" and not kinds.is_active(file.mime_type):
        return await text_preview(storage, file=file)
    if derived.has_preview(file) and await stat_or_none(storage, derived.preview_key(file.storage_key)):
        return Download(
            store=storage,
            blob=Stored(derived.preview_key(file.storage_key)),
            media_type=THUMBNAIL_MEDIA_TYPE,
            filename=f"{PurePath(file.name).stem or 'preview'}.{THUMBNAIL_FORMAT}",
            etag=f"{file.sha256}-preview",
            last_modified=file.created_at,
            disposition="inline",
        )
    raise NotFound(f"no preview for {file.kind} files", code="preview_unavailable")


async def text_preview(storage: BlobStore, *, file: File) -> TextPreview:
    text = await read_text_head(storage, source=original_of(file), limit=TEXT_PREVIEW_BYTES)
    return TextPreview(text=text, etag=f"{file.sha256}-text", filename=file.name)
