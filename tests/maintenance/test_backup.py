"""`atrium backup` while uploads and deletes run, `atrium restore` into a fresh deployment, and
`atrium verify` there: every row has its bytes and every hash matches."""

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio import to_thread

from tests.conftest import MakeUser, UserHandle
from tests.files.helpers import png_bytes
from tests.maintenance.helpers import Atrium


async def send(client: httpx.AsyncClient, user: UserHandle, name: str, content: bytes) -> dict[str, Any]:
    response = await client.post("/api/upload", headers=user.headers, files={"files": (name, content)})
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()["files"][0]
    return item


def content(index: int) -> bytes:
    return f"file number {index}\n".encode() * (50 + index)


async def test_backup_during_writes_then_restore_and_verify(
    client: httpx.AsyncClient, make_user: MakeUser, deployment: Atrium, fresh: Atrium, tmp_path: Path
) -> None:
    alice = await make_user()
    before = [await send(client, alice, f"before-{i}.txt", content(i)) for i in range(12)]
    await send(client, alice, "photo.png", png_bytes((30, 20)))
    dest = tmp_path / "backup"
    result = None

    async def run_backup() -> None:
        nonlocal result
        result = await to_thread.run_sync(lambda: deployment("backup", str(dest)))

    written = 0
    async with anyio.create_task_group() as group:
        group.start_soon(run_backup)
        live = list(before)
        while result is None and written < 300:  # bounded: uploads and deletes until the backup ends
            live.append(await send(client, alice, f"during-{written}.txt", content(100 + written)))
            gone = live.pop(0)
            url = f"/api/files/{gone['id']}"
            await client.delete(url, params={"permanent": "true"}, headers=alice.headers)
            written += 1
    assert written >= 2
    assert result is not None
    assert result.returncode == 0, result.stderr
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["format"] == 1
    assert manifest["counts"]["users"] == 1
    assert manifest["counts"]["files"] == len(manifest["files"])
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])

    restored = fresh("restore", str(dest))
    assert restored.returncode == 0, restored.stderr
    verified = fresh("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    kept = len(manifest["files"]) - len(manifest["gone"])
    assert f"checked {kept} files: 0 missing, 0 corrupt" in verified.stdout
    assert kept >= 1


async def test_a_second_backup_copies_only_what_changed(
    client: httpx.AsyncClient, make_user: MakeUser, deployment: Atrium, tmp_path: Path
) -> None:
    alice = await make_user()
    first = [await send(client, alice, f"a-{i}.txt", content(i)) for i in range(3)]
    dest = tmp_path / "backup"
    initial = await to_thread.run_sync(lambda: deployment("backup", str(dest)))
    assert "copied 3 (" in initial.stdout, initial.stdout + initial.stderr

    await send(client, alice, "new-1.txt", content(7))
    await send(client, alice, "new-2.txt", content(8))
    await client.delete(f"/api/files/{first[0]['id']}", params={"permanent": "true"}, headers=alice.headers)
    second = await to_thread.run_sync(lambda: deployment("backup", str(dest)))
    assert second.returncode == 0, second.stderr
    assert "backed up 4 files" in second.stdout
    assert "copied 2 (" in second.stdout
    assert "2 already there" in second.stdout
    kept = sorted(p.name for p in (dest / "blobs" / "originals").rglob("*") if p.is_file())
    manifest = json.loads((dest / "manifest.json").read_text())
    assert kept == sorted(entry["storage_key"] for entry in manifest["files"])


async def test_restore_refuses_a_deployment_that_is_not_empty(
    client: httpx.AsyncClient, make_user: MakeUser, deployment: Atrium, tmp_path: Path
) -> None:
    alice = await make_user()
    await send(client, alice, "a.txt", content(1))
    dest = tmp_path / "backup"
    assert (await to_thread.run_sync(lambda: deployment("backup", str(dest)))).returncode == 0
    refused = await to_thread.run_sync(lambda: deployment("restore", str(dest)))
    assert refused.returncode == 2
    assert "not empty" in refused.stderr


async def test_restore_purges_what_was_deleted_between_rows_and_bytes(
    client: httpx.AsyncClient, make_user: MakeUser, deployment: Atrium, fresh: Atrium, tmp_path: Path
) -> None:
    alice = await make_user()
    await send(client, alice, "stays.txt", content(1))
    goes = await send(client, alice, "goes.txt", content(2))
    dest = tmp_path / "backup"
    assert (await to_thread.run_sync(lambda: deployment("backup", str(dest)))).returncode == 0
    manifest_path = dest / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["gone"] = [goes["id"]]  # as a backup lists a file purged after its snapshot
    manifest_path.write_text(json.dumps(manifest))

    assert (await to_thread.run_sync(lambda: fresh("restore", str(dest)))).returncode == 0
    verified = await to_thread.run_sync(lambda: fresh("verify"))
    assert "checked 1 files: 0 missing, 0 corrupt" in verified.stdout
