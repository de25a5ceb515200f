import httpx
import pytest

from app.config import Settings
from app.names import MAX_NAME_LENGTH, content_disposition, sanitize_name
from app.storage import keys
from tests.conftest import MakeUser
from tests.files.helpers import multipart, multipart_headers, part, stored_blobs


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.txt", "cmd.txt"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("a\x00b\x01c\x7f.txt", "abc.txt"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("..", "file"),
        ("", "file"),
        ("   ", "file"),
        ("../", "file"),
        ("ok name.txt", "ok name.txt"),
    ],
)
def test_sanitize_name(raw: str, expected: str) -> None:
    assert sanitize_name(raw) == expected


def test_long_names_are_bounded_and_keep_the_extension() -> None:
    name = sanitize_name("x" * 1000 + ".jpeg")
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith(".jpeg")
    assert len(sanitize_name("y" * 1000)) == MAX_NAME_LENGTH


def test_content_disposition_has_no_injection() -> None:
    header = content_disposition('a"b;c\r\nX-Evil: 1\u202e.txt')
    assert set(header).isdisjoint("\r\n\u202e")
    assert header.startswith("attachment; filename=\"a_b_cX-Evil: 1.txt\"; filename*=UTF-8''")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"../../../escape.txt", "escape.txt"),
        (b"..\\..\\escape.txt", "escape.txt"),
        (b"/etc/cron.d/escape.txt", "escape.txt"),
        (b"nul\x00byte.txt", "nulbyte.txt"),
        (b"tab\there.txt", "tabhere.txt"),
        ("rtl\u202etxt.exe.txt".encode(), "rtltxt.exe.txt"),
        (b"z" * 1000 + b".txt", "z" * (MAX_NAME_LENGTH - 4) + ".txt"),
    ],
)
async def test_hostile_upload_names_stay_inside_upload_dir(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, raw: bytes, expected: str
) -> None:
    alice = await make_user()
    body = multipart([part("files", b"harmless text\n", filename=raw)])
    response = await client.post("/api/upload", headers=multipart_headers(alice.headers), content=body)
    assert response.status_code == 201, response.text
    item = response.json()["files"][0]
    assert item["name"] == expected
    (stored,) = await stored_blobs(settings)  # a key the server made, whatever the name was
    assert keys.check_blob_key(stored).startswith(keys.ORIGINALS)
    assert stored.rsplit("/", 1)[-1] not in raw.decode("utf-8", "replace")
    assert not (settings.upload_dir.parent / "escape.txt").exists()
    download = await client.get(item["urls"]["download"], headers=alice.headers)
    disposition = download.headers["content-disposition"]
    assert set(disposition).isdisjoint("\x00\t\u202e")
