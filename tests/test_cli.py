"""The `atrium` command line through its installed entry point, on a temporary data directory."""

import asyncio
import os
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.storage import keys
from app.storage.base import BlobNotFound, BlobStore
from app.storage.local import LocalBlobStore
from tests.files.helpers import elf_bytes, opaque_bytes, png_bytes
from tests.images.factory import png_declaring
from tests.servers import object_storage
from tests.storage.helpers import S3Server

ATRIUM = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "atrium")
HOURS_AGO = time.time() - 2 * 3600
Result = subprocess.CompletedProcess[str]


class Atrium:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "atrium.db"
        self.uploads = root / "uploads"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db}",
            "UPLOAD_DIR": str(self.uploads),
            "ENVIRONMENT": "test",
        }

    def __call__(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        return subprocess.run(
            [ATRIUM, *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
        )

    def create_user(self, name: str, *flags: str, password: str = "correct horse") -> Result:
        email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
        flags += ("--email", email, "--password-stdin")
        return self("create-user", name, *flags, stdin=password + "\n")

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture
def atrium(tmp_path: Path) -> Atrium:
    runner = Atrium(tmp_path)
    assert runner("migrate").returncode == 0
    return runner


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["create-user"],
        ["import"],
        ["verify"],
        ["cleanup"],
        ["migrate"],
        ["upload"],
        ["migrate-storage"],
        ["migrate-database"],
    ],
)
def test_every_command_explains_itself(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    if not command:
        for name in ("create-user", "import", "verify", "cleanup", "serve", "migrate"):
            assert name in result.output


def test_create_user(atrium: Atrium) -> None:
    made = atrium.create_user("root", "--admin", password="s3cret-pass")
    assert made.returncode == 0, made.stderr
    assert "created administrator root" in made.stdout
    plain = atrium.create_user("Bob", password="another-pass")
    assert plain.returncode == 0, plain.stderr
    rows = atrium.rows("SELECT username, is_admin, password_hash FROM user ORDER BY username")
    assert [(name, admin) for name, admin, _ in rows] == [("Bob", 0), ("root", 1)]
    assert all("pass" not in str(hashed) and str(hashed).startswith("$argon2") for _, _, hashed in rows)
    taken = atrium.create_user("bob")
    assert taken.returncode == 1
    assert "username is taken" in taken.stderr
    weak = atrium.create_user("carol", password="short")
    assert weak.returncode == 2
    assert "password" in weak.stderr
    assert len(atrium.rows("SELECT id FROM user")) == 2


def make_tree(root: Path) -> None:
    (root / "Holiday" / "Beach").mkdir(parents=True)
    (root / "notes.txt").write_bytes(b"meeting about the albatross\n")
    (root / "Holiday" / "photo.png").write_bytes(png_bytes())
    (root / "Holiday" / "Beach" / "sand.txt").write_bytes(b"sand\n")
    (root / "Holiday" / "evil.jpg").write_bytes(elf_bytes())
    (root / "Holiday" / "blob.bin").write_bytes(opaque_bytes())
    (root / "link.txt").symlink_to("/etc/hostname")


def test_import_mirrors_folders_and_refuses_like_uploads(atrium: Atrium, tmp_path: Path) -> None:
    atrium.create_user("alice")
    source = tmp_path / "source"
    make_tree(source)
    result = atrium("import", str(source), "--user", "alice")
    assert result.returncode == 1, result.stderr
    assert "imported 3 files" in result.stdout
    assert "refused Holiday/evil.jpg: type_mismatch" in result.stdout
    assert "refused Holiday/blob.bin: unsupported_type" in result.stdout
    assert "refused link.txt: not_a_regular_file" in result.stdout

    files = atrium.rows(
        "SELECT file.name, file.kind, folder.name FROM file LEFT JOIN folder ON folder.id = file.folder_id"
        " ORDER BY file.name"
    )
    assert files == [
        ("notes.txt", "text", None),
        ("photo.png", "image", "Holiday"),
        ("sand.txt", "text", "Beach"),
    ]
    stored_keys = [key for (key,) in atrium.rows("SELECT storage_key FROM file")]
    stored = LocalBlobStore(atrium.uploads)
    assert all(stored.path_of(keys.original(str(key))).is_file() for key in stored_keys)
    assert list((atrium.uploads / "tmp").iterdir()) == []
    hits = atrium.rows(
        "SELECT f.name FROM file_fts JOIN search_doc d ON d.id = file_fts.rowid"
        " JOIN file f ON f.id = d.file_id WHERE file_fts MATCH 'albatross'"
    )
    assert hits == [("notes.txt",)]
    assert atrium.rows("SELECT count(*) FROM activity WHERE action = 'upload'") == [(3,)]

    (source / "Holiday" / "evil.jpg").unlink()
    (source / "Holiday" / "blob.bin").unlink()
    (source / "link.txt").unlink()
    again = atrium("import", str(source), "--user", "alice")
    assert again.returncode == 0, again.stdout
    assert atrium.rows("SELECT count(*) FROM folder") == [(2,)]  # existing folders reused
    assert atrium.rows("SELECT count(*) FROM file WHERE duplicate_of_id IS NOT NULL") == [(3,)]


def test_import_needs_a_known_user(atrium: Atrium, tmp_path: Path) -> None:
    result = atrium("import", str(tmp_path), "--user", "nobody")
    assert result.returncode == 2
    assert "no user named 'nobody'" in result.stderr


def test_verify_exit_status_reports_corrupt_and_missing(atrium: Atrium, tmp_path: Path) -> None:
    atrium.create_user("alice")
    source = tmp_path / "source"
    source.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (source / name).write_bytes(f"content of {name}\n".encode())
    assert atrium("import", str(source), "--user", "alice").returncode == 0
    healthy = atrium("verify")
    assert healthy.returncode == 0
    assert "checked 3 files: 0 missing, 0 corrupt" in healthy.stdout

    rows = dict(atrium.rows("SELECT name, storage_key FROM file"))
    stored = LocalBlobStore(atrium.uploads)
    flipped = stored.path_of(keys.original(str(rows["a.txt"])))
    data = bytearray(flipped.read_bytes())
    data[0] ^= 0x20
    flipped.write_bytes(bytes(data))
    stored.path_of(keys.original(str(rows["b.txt"]))).unlink()
    broken = atrium("verify")
    assert broken.returncode == 1
    assert "checked 3 files: 1 missing, 1 corrupt" in broken.stdout
    [(a_id,)] = atrium.rows("SELECT id FROM file WHERE name = 'a.txt'")
    [(b_id,)] = atrium.rows("SELECT id FROM file WHERE name = 'b.txt'")
    assert f"corrupt {uuid.UUID(str(a_id))}" in broken.stdout
    assert f"missing {uuid.UUID(str(b_id))}" in broken.stdout


def test_migrate_storage_copies_every_blob_verified_and_resumes(
    atrium: Atrium, tmp_path: Path, s3: S3Server
) -> None:
    atrium.create_user("alice")
    source = tmp_path / "source"
    source.mkdir()
    (source / "a.txt").write_bytes(b"alpha\n")
    (source / "b.txt").write_bytes(b"bravo\n")
    (source / "photo.png").write_bytes(png_bytes())
    assert atrium("import", str(source), "--user", "alice").returncode == 0
    rows = {str(name): str(key) for name, key in atrium.rows("SELECT name, storage_key FROM file")}
    local = LocalBlobStore(atrium.uploads)
    thumb = local.path_of(keys.rendition(rows["a.txt"], "thumb.webp"))
    thumb.parent.mkdir(parents=True, exist_ok=True)
    thumb.write_bytes(b"a rendition")
    local_keys = asyncio.run(_keys(local))
    assert keys.rendition(rows["a.txt"], "thumb.webp") in local_keys
    prefix = uuid.uuid4().hex
    target = f"s3://{s3.bucket}/{prefix}"
    atrium.env.update(s3.environment)

    first = atrium("migrate-storage", "--to", target)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"copied {len(local_keys)} blobs" in first.stdout
    remote = s3.store(prefix)
    for key in local_keys:
        with remote.open_sync(key) as copied:
            assert copied.read() == local.path_of(key).read_bytes()

    again = atrium("migrate-storage", "--to", target)
    assert again.returncode == 0, again.stderr
    assert f"copied 0 blobs (0 bytes) to {target}, {len(local_keys)} already there" in again.stdout
    on_s3 = atrium("verify", env={"STORAGE_URL": target})
    assert on_s3.returncode == 0, on_s3.stdout
    assert "checked 3 files: 0 missing, 0 corrupt" in on_s3.stdout

    flipped = local.path_of(keys.original(rows["b.txt"]))
    flipped.write_bytes(b"brav0\n")
    asyncio.run(remote.delete(keys.original(rows["b.txt"])))
    corrupt = atrium("migrate-storage", "--to", target)
    assert corrupt.returncode == 1
    assert (
        f"copied 0 blobs (0 bytes) to {target}, {len(local_keys) - 1} already there, 1 corrupt"
        in corrupt.stdout
    )
    assert f"corrupt {keys.original(rows['b.txt'])}" in corrupt.stdout
    with pytest.raises(BlobNotFound):  # a corrupt original is reported, not copied
        asyncio.run(remote.stat(keys.original(rows["b.txt"])))


async def _keys(store: BlobStore) -> list[str]:
    return sorted(
        [entry.key for prefix in (keys.ORIGINALS, keys.RENDITIONS) async for entry in store.scan(prefix)]
    )


def test_migrate_storage_refuses_the_configured_store_as_target(atrium: Atrium) -> None:
    result = atrium("migrate-storage", "--to", str(atrium.uploads))
    assert result.returncode == 2
    assert "the target is the configured store" in result.stderr


async def test_a_deployment_moves_to_a_fresh_database_and_store(
    tmp_path: Path, settings: Settings, client: httpx.AsyncClient
) -> None:
    """SQLite + local into the test's database and store (PostgreSQL + S3 in `make test-scale`)."""
    (tmp_path / "old").mkdir()
    old = Atrium(tmp_path / "old")
    assert old("migrate").returncode == 0
    old.create_user("alice")
    source = tmp_path / "source"
    make_tree(source)
    (source / "Holiday" / "Beach" / "again.txt").write_bytes(b"sand\n")  # a duplicate
    assert "imported 4 files" in old("import", str(source), "--user", "alice").stdout
    new = {
        "DATABASE_URL": settings.database_url,
        "UPLOAD_DIR": str(settings.upload_dir),
        **object_storage(settings),
    }

    moved = old("migrate-database", "--from", f"sqlite+aiosqlite:///{old.db}", env=new)
    assert moved.returncode == 0, moved.stderr
    assert "  file: 4" in moved.stdout
    assert "  folder: 2" in moved.stdout
    target = settings.storage_url or str(settings.upload_dir)
    credentials = {name: value for name, value in new.items() if name.startswith("AWS_")}
    copied = old("migrate-storage", "--to", target, env=credentials)
    assert copied.returncode == 0, copied.stderr
    assert old("verify", env=new).returncode == 0

    login = await client.post("/api/auth/login", json={"username": "alice", "password": "correct horse"})
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    hits = (await client.get("/api/search", params={"q": "albatross"}, headers=auth)).json()["items"]
    assert [hit["name"] for hit in hits] == ["notes.txt"]
    download = await client.get(f"/api/files/{hits[0]['id']}/download", headers=auth)
    assert download.content == b"meeting about the albatross\n"
    files = (await client.get("/api/files", params={"per_page": 10}, headers=auth)).json()["items"]
    assert sum(1 for file in files if file["duplicate_of"]) == 1
    again = old("migrate-database", "--from", f"sqlite+aiosqlite:///{old.db}", env=new)
    assert again.returncode == 2
    assert "needs a fresh database" in again.stderr


def test_cleanup_sweeps_parts_orphans_and_old_trash(atrium: Atrium, tmp_path: Path) -> None:
    atrium.create_user("alice")
    source = tmp_path / "source"
    source.mkdir()
    (source / "old.txt").write_bytes(b"old\n")
    (source / "live.txt").write_bytes(b"live\n")
    assert atrium("import", str(source), "--user", "alice").returncode == 0
    atrium.rows("UPDATE file SET deleted_at = '2000-01-01 00:00:00.000000' WHERE name = 'old.txt'")
    [(old_key,)] = atrium.rows("SELECT storage_key FROM file WHERE name = 'old.txt'")
    stored = LocalBlobStore(atrium.uploads)
    part = atrium.uploads / "tmp" / "crashed.part"
    part.write_bytes(b"half")
    orphan = stored.path_of(keys.original(uuid.uuid4().hex))
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"nobody's")
    for path in (part, orphan):
        os.utime(path, (HOURS_AGO, HOURS_AGO))

    result = atrium("cleanup")
    assert result.returncode == 0, result.stderr
    assert "removed 1 stale upload parts" in result.stdout
    assert "removed 1 orphan blobs" in result.stdout
    assert "purged 1 trashed files (4 bytes)" in result.stdout
    assert not part.exists()
    assert not orphan.exists()
    assert not stored.path_of(keys.original(str(old_key))).exists()
    assert atrium.rows("SELECT name FROM file") == [("live.txt",)]


def test_import_goes_on_after_a_refusal_inside_the_commit_step(atrium: Atrium, tmp_path: Path) -> None:
    """A decompression bomb is refused after its bytes are stored (reading its size); the files
    after it are still imported."""
    atrium.create_user("alice")
    source = tmp_path / "source"
    source.mkdir()
    png_declaring(source / "a-bomb.png", 100_000, 100_000)
    (source / "b-after.txt").write_bytes(b"still imported\n")
    result = atrium("import", str(source), "--user", "alice")
    assert result.returncode == 1, result.stderr
    assert "refused a-bomb.png: image_too_large" in result.stdout
    assert atrium.rows("SELECT name FROM file") == [("b-after.txt",)]
