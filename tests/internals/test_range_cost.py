"""A small Range read on the local store costs two statements and one worker-thread hop; a big one
still streams."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from anyio import to_thread
from fastapi import FastAPI

from app.files import serve
from app.storage import local
from tests.conftest import MakeUser
from tests.files.helpers import upload
from tests.internals.sqlcount import sign_in_reads, statements

MIB = 1024 * 1024
DATA = b"".join(f"{i:015d}\n".encode() for i in range(6 * MIB // 16))  # 6 MiB of text lines


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions the local store sends to worker threads (calls go through)."""
    calls: list[str] = []
    real = to_thread.run_sync

    async def counting(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(function, "__name__", None) or function.func.__name__)
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(local.to_thread, "run_sync", counting)
    return calls


async def test_a_mid_file_mebibyte_is_one_read(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, thread_calls: list[str]
) -> None:
    alice = await make_user()
    item = await upload(client, alice, DATA, "big.txt")
    start = 3 * MIB
    thread_calls.clear()
    with statements(app) as seen:
        response = await client.get(
            item["urls"]["download"], headers={**alice.headers, "Range": f"bytes={start}-{start + MIB - 1}"}
        )
    assert response.status_code == 206
    assert response.content == DATA[start : start + MIB]
    assert response.headers["content-range"] == f"bytes {start}-{start + MIB - 1}/{len(DATA)}"
    assert response.headers["content-length"] == str(MIB)
    assert response.headers["etag"] == f'"{item["sha256"]}"'
    assert thread_calls == ["_peek"]
    # the sign-in (kept since the upload), the file row (no tags, no image rows)
    assert len(seen) == sign_in_reads(app) + 1, seen


async def test_a_range_over_the_small_limit_streams(
    client: httpx.AsyncClient, make_user: MakeUser, thread_calls: list[str]
) -> None:
    alice = await make_user()
    item = await upload(client, alice, DATA, "big.txt")
    end = serve.SMALL_RANGE + 10
    headers = {**alice.headers, "Range": f"bytes=5-{end}"}
    response = await client.get(item["urls"]["download"], headers=headers)
    assert response.status_code == 206
    assert response.content == DATA[5 : end + 1]
    assert "pread" in thread_calls


async def test_head_of_a_range_reads_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, thread_calls: list[str]
) -> None:
    alice = await make_user()
    item = await upload(client, alice, DATA, "big.txt")
    thread_calls.clear()
    response = await client.head(item["urls"]["download"], headers={**alice.headers, "Range": "bytes=0-99"})
    assert response.status_code == 206
    assert response.headers["content-length"] == "100"
    assert response.content == b""
    assert "pread" not in thread_calls
