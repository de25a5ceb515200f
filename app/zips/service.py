"""What goes into a ZIP: the files a principal may download from an album or gallery, a folder's
subtree (subfolders as directories) or a list of files, with unique display names."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.access import policy
from app.collections import service as collections
from app.errors import NotFound
from app.files.originals import original_of
from app.folders import service as folders
from app.models import CollectionItem, File, User
from app.zips.schemas import MAX_ZIP_FILES
from app.zips.stream import Archive, Member, safe_segment, unique_paths


async def collection_files(
    session: AsyncSession, *, principal: policy.Principal, collection_id: uuid.UUID
) -> list[File]:
    """The live items of an album or gallery in display order that `principal` may download."""
    item = aliased(CollectionItem)  # the policy's own subqueries over CollectionItem stay apart
    query = (
        select(File)
        .join(item, item.file_id == File.id)
        .where(item.collection_id == collection_id, policy.downloadable_files(principal))
        .order_by(item.position, item.added_at, File.id)
    )
    return list(await session.scalars(query.limit(MAX_ZIP_FILES)))


async def folder_files(
    session: AsyncSession, *, principal: policy.Principal, folder_ids: Sequence[uuid.UUID]
) -> list[File]:
    query = (
        select(File)
        .where(File.folder_id.in_(folder_ids), policy.downloadable_files(principal))
        .order_by(File.name, File.id)
    )
    return list(await session.scalars(query.limit(MAX_ZIP_FILES)))


async def listed_files(
    session: AsyncSession, *, principal: policy.Principal, file_ids: Sequence[uuid.UUID]
) -> list[File]:
    """The listed files `principal` may download, in the order listed."""
    query = select(File).where(File.id.in_(set(file_ids)), policy.downloadable_files(principal))
    found = {file.id: file for file in await session.scalars(query)}
    return [found[file_id] for file_id in dict.fromkeys(file_ids) if file_id in found]


def flat_archive(name: str, files: Sequence[File]) -> Archive:
    paths = unique_paths(safe_segment(file.name) for file in files)
    members = [Member(path, original_of(f), f.size) for path, f in zip(paths, files, strict=True)]
    return Archive(name=name, members=members)


def tree_archive(name: str, paths: dict[uuid.UUID, tuple[str, ...]], files: Sequence[File]) -> Archive:
    """Files under their folders' relative paths; every subfolder a directory, even an empty one."""
    directories = ["/".join(map(safe_segment, segments)) + "/" for segments in paths.values() if segments]
    wanted = []
    for file in files:
        segments = paths.get(file.folder_id) if file.folder_id is not None else None
        prefix = "/".join(map(safe_segment, segments)) + "/" if segments else ""
        wanted.append(prefix + safe_segment(file.name))
    unique = unique_paths(wanted, taken=[d.rstrip("/") for d in directories])
    members = [Member(path, original_of(f), f.size) for path, f in zip(unique, files, strict=True)]
    return Archive(name=name, members=members, directories=directories)


async def album_archive(session: AsyncSession, *, owner: User, album_id: uuid.UUID) -> Archive:
    album = await collections.get_owned_collection(
        session, owner_id=owner.id, kind="album", collection_id=album_id
    )
    files = await collection_files(session, principal=policy.principal_of(owner), collection_id=album.id)
    return flat_archive(album.name, files)


async def folder_archive(session: AsyncSession, *, owner: User, folder_id: uuid.UUID) -> Archive:
    paths = await folders.subtree_paths(session, owner_id=owner.id, folder_id=folder_id)
    folder = await folders.get_owned_folder(session, owner_id=owner.id, folder_id=folder_id)
    files = await folder_files(session, principal=policy.principal_of(owner), folder_ids=list(paths))
    return tree_archive(folder.name, paths, files)


async def files_archive(session: AsyncSession, *, owner: User, file_ids: Sequence[uuid.UUID]) -> Archive:
    """All of the listed files, live and the caller's, or 404 and nothing."""
    query = select(File).where(
        File.id.in_(set(file_ids)), File.owner_id == owner.id, File.deleted_at.is_(None)
    )
    found = {file.id: file for file in await session.scalars(query)}
    missing = len(set(file_ids) - set(found))
    if missing:
        raise NotFound(f"{missing} file(s) not found", code="file_not_found")
    return flat_archive("files", [found[file_id] for file_id in dict.fromkeys(file_ids)])
