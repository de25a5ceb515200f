import hashlib

import httpx

from app.models import Activity
from tests.conftest import MakeUser
from tests.files.conftest import CountRows
from tests.files.helpers import upload

DATA = b"".join(f"line {i:05d}\n".encode() for i in range(1000))  # 11000 bytes of text


async def test_full_download_headers_and_counting(
    client: httpx.AsyncClient, make_user: MakeUser, count_rows: CountRows
) -> None:
    alice = await make_user()
    text = b"plain text body\n" * 100
    item = await upload(client, alice, text, "report.txt")
    response = await client.get(item["urls"]["download"], headers=alice.headers)
    assert response.status_code == 200
    assert response.content == text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-length"] == str(len(text))
    assert response.headers["etag"] == f'"{hashlib.sha256(text).hexdigest()}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert (
        response.headers["content-disposition"]
        == "attachment; filename=\"report.txt\"; filename*=UTF-8''report.txt"
    )
    assert response.headers["last-modified"].endswith(" GMT")
    detail = (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()
    assert detail["download_count"] == 1
    assert detail["last_accessed_at"] is not None
    assert [entry["action"] for entry in detail["access_history"]] == ["download", "upload"]
    assert detail["integrity"] == "ok"


async def test_ranges(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    item = await upload(client, alice, DATA, "blob.zip.txt")
    url = item["urls"]["download"]
    size = len(DATA)

    first = await client.get(url, headers={**alice.headers, "Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.content == DATA[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert first.headers["content-length"] == "100"

    tail = await client.get(url, headers={**alice.headers, "Range": "bytes=-10"})
    assert tail.status_code == 206
    assert tail.content == DATA[-10:]
    assert tail.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"

    open_end = await client.get(url, headers={**alice.headers, "Range": "bytes=10000-"})
    assert open_end.content == DATA[10000:]

    several = await client.get(url, headers={**alice.headers, "Range": "bytes=0-1, 5-6"})
    assert several.status_code == 206
    assert several.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert int(several.headers["content-length"]) == len(several.content)
    assert f"Content-Range: bytes 0-1/{size}".encode() in several.content
    assert DATA[5:7] in several.content

    beyond = await client.get(url, headers={**alice.headers, "Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.headers["content-type"] == "application/problem+json"
    assert beyond.json()["code"] == "range_not_satisfiable"

    garbage = await client.get(url, headers={**alice.headers, "Range": "pages=1-2"})
    assert garbage.status_code == 200
    assert garbage.content == DATA

    detail = (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()
    assert detail["download_count"] == 1  # only the one full answer counts


async def test_conditionals_and_head(
    client: httpx.AsyncClient, make_user: MakeUser, count_rows: CountRows
) -> None:
    alice = await make_user()
    item = await upload(client, alice, DATA, "data.bin.txt")
    url = item["urls"]["download"]
    etag = f'"{item["sha256"]}"'

    cached = await client.get(url, headers={**alice.headers, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag

    other = await client.get(url, headers={**alice.headers, "If-None-Match": '"nope"'})
    assert other.status_code == 200

    same = await client.get(url, headers={**alice.headers, "Range": "bytes=0-3", "If-Range": etag})
    assert same.status_code == 206
    assert same.content == DATA[:4]
    changed = await client.get(url, headers={**alice.headers, "Range": "bytes=0-3", "If-Range": '"old"'})
    assert changed.status_code == 200
    assert changed.content == DATA
    weak = await client.get(url, headers={**alice.headers, "Range": "bytes=0-3", "If-Range": f"W/{etag}"})
    assert weak.status_code == 200

    head = await client.head(url, headers=alice.headers)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(DATA))
    assert head.headers["etag"] == etag

    downloads = (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()["download_count"]
    assert downloads == 3  # `other`, `changed`, `weak`; never 304, 206 or HEAD
    assert await count_rows(Activity) == 4


async def test_hostile_names_in_content_disposition(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    raw = 'évil\\"; x=y\u202egpj.txt'.encode()  # an escaped quote and a right-to-left override
    item = await upload(client, alice, b"text\n", raw)
    assert item["name"] == 'évil"; x=ygpj.txt'
    response = await client.get(item["urls"]["download"], headers=alice.headers)
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"evil__ x=ygpj.txt\"; filename*=UTF-8''%C3%A9vil%22%3B%20x%3Dygpj.txt"
    )

    renamed = await client.patch(
        f"/api/files/{item['id']}", headers=alice.headers, json={"name": "a\r\nSet-Cookie: x=y\x00.txt"}
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "aSet-Cookie: x=y.txt"
    response = await client.get(item["urls"]["download"], headers=alice.headers)
    assert "set-cookie" not in response.headers
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"aSet-Cookie: x=y.txt\"; filename*=UTF-8''aSet-Cookie%3A%20x%3Dy.txt"
    )


async def test_another_users_file_is_404(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    bob = await make_user("bob")
    item = await upload(client, alice, b"secret\n", "secret.txt")
    for method, path in [
        ("GET", f"/api/files/{item['id']}"),
        ("GET", item["urls"]["download"]),
        ("HEAD", item["urls"]["download"]),
        ("PATCH", f"/api/files/{item['id']}"),
        ("DELETE", f"/api/files/{item['id']}"),
        ("POST", f"/api/files/{item['id']}/restore"),
        ("PUT", f"/api/files/{item['id']}/move"),
    ]:
        body = {"target_folder_id": None} if path.endswith("move") else {} if method == "PATCH" else None
        response = await client.request(method, path, headers=bob.headers, json=body)
        assert response.status_code == 404, (method, path)
        if method != "HEAD":
            assert response.json()["code"] == "file_not_found"
    still = await client.get(item["urls"]["download"], headers=alice.headers)
    assert still.content == b"secret\n"
    assert (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()["download_count"] == 1
