"""Folders: a per-owner tree. Sibling names are unique case-insensitively (Unicode casefold)."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, NotFound, Unprocessable
from app.folders.schemas import (
    FolderCreate,
    FolderDetail,
    FolderNode,
    FolderRead,
    FolderRef,
    FolderUpdate,
)
from app.library import trash
from app.models import File, Folder

# Bounds the tree's nesting (the JSON tree is serialised recursively; pydantic stops near 250 levels).
MAX_FOLDER_DEPTH = 64


@dataclass
class Counts:
    files: int = 0
    size: int = 0


@dataclass
class Tree:
    """The owner's folders with live-file counts, loaded in one query."""

    folders: dict[uuid.UUID, Folder]
    children: dict[uuid.UUID | None, list[uuid.UUID]]
    direct: dict[uuid.UUID, Counts]
    total: dict[uuid.UUID, Counts] = field(default_factory=dict)

    def top_down(self) -> list[uuid.UUID]:
        """Every folder reachable from the top level, parents before children."""
        order = list(self.children.get(None, []))
        for folder_id in order:  # grows while iterating: a breadth-first walk without recursion
            order.extend(self.children.get(folder_id, []))
        return order

    def ancestors(self, folder_id: uuid.UUID) -> Iterator[uuid.UUID]:
        seen = {folder_id}
        parent_id = self.folders[folder_id].parent_id
        while parent_id is not None and parent_id not in seen:  # a cycle from racing moves must not hang
            seen.add(parent_id)
            yield parent_id
            parent_id = self.folders[parent_id].parent_id

    def subtree(self, folder_id: uuid.UUID) -> list[uuid.UUID]:
        order = [folder_id]
        for current in order:
            order.extend(self.children.get(current, []))
        return order

    def depth(self, folder_id: uuid.UUID | None) -> int:
        """1 for a top-level folder, 0 for the top level itself."""
        return 0 if folder_id is None else 1 + sum(1 for _ in self.ancestors(folder_id))

    def height(self, folder_id: uuid.UUID) -> int:
        """Levels in the subtree rooted here: 1 for a folder without subfolders."""
        return max(self.depth(node) for node in self.subtree(folder_id)) - self.depth(folder_id) + 1

    def require(self, folder_id: uuid.UUID) -> Folder:
        folder = self.folders.get(folder_id)
        if folder is None:
            raise folder_not_found()
        return folder


def folder_not_found() -> NotFound:
    """A missing, malformed or foreign folder id: one answer, so a foreign id looks like a missing one."""
    return NotFound("folder not found", code="folder_not_found")


def name_key(name: str) -> str:
    return name.casefold()


async def get_owned_folder(session: AsyncSession, *, owner_id: uuid.UUID, folder_id: uuid.UUID) -> Folder:
    """The owner's folder; 404 `folder_not_found` when missing or someone else's."""
    folder = await session.scalar(select(Folder).where(Folder.id == folder_id, Folder.owner_id == owner_id))
    if folder is None:
        raise folder_not_found()
    return folder


async def subtree_paths(
    session: AsyncSession, *, owner_id: uuid.UUID, folder_id: uuid.UUID
) -> dict[uuid.UUID, tuple[str, ...]]:
    """The owner's folder and every folder below it, each with its names relative to it (the folder
    itself has none), parents before children; 404 `folder_not_found` for a missing or foreign one."""
    tree = await _load_tree(session, owner_id=owner_id)
    tree.require(folder_id)
    paths: dict[uuid.UUID, tuple[str, ...]] = {folder_id: ()}
    for current in tree.subtree(folder_id)[1:]:
        folder = tree.folders[current]
        if folder.parent_id in paths:
            paths[current] = (*paths[folder.parent_id], folder.name)
    return paths


async def create_folder(session: AsyncSession, *, owner_id: uuid.UUID, data: FolderCreate) -> FolderDetail:
    """Owns the unit of work and commits."""
    tree = await _load_tree(session, owner_id=owner_id)
    if data.parent_id is not None:
        tree.require(data.parent_id)
    _refuse_too_deep(tree.depth(data.parent_id) + 1)
    _refuse_sibling_name(tree, parent_id=data.parent_id, name=data.name)
    folder = Folder(owner_id=owner_id, parent_id=data.parent_id, name=data.name, description=data.description)
    session.add(folder)
    await session.commit()
    return await read_folder(session, owner_id=owner_id, folder_id=folder.id)


async def list_tree(session: AsyncSession, *, owner_id: uuid.UUID) -> list[FolderNode]:
    tree = await _load_tree(session, owner_id=owner_id)
    nodes: dict[uuid.UUID, FolderNode] = {}
    for folder_id in reversed(tree.top_down()):  # children are built before their parent
        kids = [nodes[child] for child in tree.children.get(folder_id, [])]
        nodes[folder_id] = FolderNode(**_read(tree, folder_id).model_dump(), children=kids)
    return [nodes[folder_id] for folder_id in tree.children.get(None, [])]


async def read_folder(session: AsyncSession, *, owner_id: uuid.UUID, folder_id: uuid.UUID) -> FolderDetail:
    tree = await _load_tree(session, owner_id=owner_id)
    tree.require(folder_id)
    path = [FolderRef(id=a, name=tree.folders[a].name) for a in reversed(list(tree.ancestors(folder_id)))]
    return FolderDetail(
        **_read(tree, folder_id).model_dump(),
        children=[_read(tree, child) for child in tree.children.get(folder_id, [])],
        path=path,
    )


async def update_folder(
    session: AsyncSession, *, owner_id: uuid.UUID, folder_id: uuid.UUID, data: FolderUpdate
) -> FolderDetail:
    """Owns the unit of work and commits."""
    tree = await _load_tree(session, owner_id=owner_id)
    folder = tree.require(folder_id)
    parent_id = data.parent_id if data.moves else folder.parent_id
    if parent_id != folder.parent_id:
        _refuse_cycle(tree, folder_id=folder_id, parent_id=parent_id)
        _refuse_too_deep(tree.depth(parent_id) + tree.height(folder_id))
    name = data.name if data.name is not None else folder.name
    _refuse_sibling_name(tree, parent_id=parent_id, name=name, exclude_id=folder_id)
    folder.name, folder.parent_id = name, parent_id
    if "description" in data.model_fields_set:
        folder.description = data.description
    await session.commit()
    return await read_folder(session, owner_id=owner_id, folder_id=folder_id)


async def delete_folder(
    session: AsyncSession, *, owner_id: uuid.UUID, folder_id: uuid.UUID, recursive: bool
) -> None:
    """Non-empty folders need `recursive`: their live files go to the trash, detached to the top level.
    Owns the unit of work and commits."""
    tree = await _load_tree(session, owner_id=owner_id)
    tree.require(folder_id)
    if not recursive and (tree.children.get(folder_id) or tree.direct[folder_id].files):
        raise Conflict("the folder is not empty; delete with recursive=true", code="folder_not_empty")
    subtree = tree.subtree(folder_id)
    await _trash_files_in(session, owner_id=owner_id, folder_ids=subtree)
    await session.execute(delete(Folder).where(Folder.owner_id == owner_id, Folder.id.in_(subtree)))
    await session.commit()


async def _trash_files_in(session: AsyncSession, *, owner_id: uuid.UUID, folder_ids: list[uuid.UUID]) -> None:
    """Live files go to the trash; every file (trashed ones too) is detached so restore lands at the top.
    Only stages (the caller commits)."""
    in_folders = (File.owner_id == owner_id, File.folder_id.in_(folder_ids))
    live_ids = await session.scalars(select(File.id).where(*in_folders, File.deleted_at.is_(None)))
    await trash.trash_files(session, owner_id=owner_id, file_ids=live_ids)
    await session.execute(update(File).where(*in_folders).values(folder_id=None))


async def live_files_in(session: AsyncSession, *, owner_id: uuid.UUID, folder_id: uuid.UUID) -> int:
    """Live files directly in the owner's folder (0 for another owner's or a missing one)."""
    query = select(Folder.live_files).where(Folder.id == folder_id, Folder.owner_id == owner_id)
    return await session.scalar(query) or 0


async def live_files_in_folders(session: AsyncSession, *, owner_id: uuid.UUID) -> int:
    """Live files in any of the owner's folders (the rest are at the top level)."""
    query = select(func.coalesce(func.sum(Folder.live_files), 0)).where(Folder.owner_id == owner_id)
    return int(await session.scalar(query) or 0)


def _refuse_cycle(tree: Tree, *, folder_id: uuid.UUID, parent_id: uuid.UUID | None) -> None:
    if parent_id is None:
        return
    tree.require(parent_id)
    if parent_id == folder_id or folder_id in tree.ancestors(parent_id):
        raise Conflict("a folder cannot move into itself or its own subfolders", code="folder_cycle")


def _refuse_too_deep(depth: int) -> None:
    if depth > MAX_FOLDER_DEPTH:
        raise Unprocessable(f"folders nest at most {MAX_FOLDER_DEPTH} levels deep", code="folder_too_deep")


def _refuse_sibling_name(
    tree: Tree, *, parent_id: uuid.UUID | None, name: str, exclude_id: uuid.UUID | None = None
) -> None:
    key = name_key(name)
    siblings = (tree.folders[s] for s in tree.children.get(parent_id, []) if s != exclude_id)
    if any(name_key(sibling.name) == key for sibling in siblings):
        raise Conflict(f"a folder named '{name}' already exists here", code="folder_exists")


async def _load_tree(session: AsyncSession, *, owner_id: uuid.UUID) -> Tree:
    """The owner's folders with their live-file counters (kept by app.library.usage), read afresh:
    the counters change through UPDATEs the session's identity map does not see."""
    query = select(Folder).where(Folder.owner_id == owner_id).execution_options(populate_existing=True)
    folders = {f.id: f for f in await session.scalars(query)}
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for folder in sorted(folders.values(), key=lambda f: (name_key(f.name), f.name)):
        children.setdefault(folder.parent_id, []).append(folder.id)
    direct = {f.id: Counts(files=f.live_files, size=f.live_bytes) for f in folders.values()}
    tree = Tree(folders=folders, children=children, direct=direct)
    _sum_subtrees(tree)
    return tree


def _sum_subtrees(tree: Tree) -> None:
    for folder_id in reversed(tree.top_down()):  # children are summed before their parent
        own = tree.direct[folder_id]
        total = Counts(own.files, own.size)
        for child in tree.children.get(folder_id, []):
            total.files += tree.total[child].files
            total.size += tree.total[child].size
        tree.total[folder_id] = total


def _read(tree: Tree, folder_id: uuid.UUID) -> FolderRead:
    folder = tree.folders[folder_id]
    direct = tree.direct[folder_id]
    total = tree.total.get(folder_id, direct)  # only folders cut off from the top by a cycle lack one
    return FolderRead(
        id=folder.id,
        name=folder.name,
        description=folder.description,
        parent_id=folder.parent_id,
        file_count=total.files,
        total_size=total.size,
        direct_file_count=direct.files,
        direct_size=direct.size,
        folder_count=len(tree.children.get(folder_id, [])),
        created_at=folder.created_at,
        updated_at=folder.updated_at,
    )
