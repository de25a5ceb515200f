"""`compressed_range_vs_plain`: the median 1 MiB Range read through the API of an original kept
compressed at rest (COMPRESS_AT_REST, seekable zstd frames of 1 MiB) divided by the same read of
one kept as it is, same server, same size, same offset, alternating rounds. The offset is not
frame-aligned: each compressed read decompresses two frames, its usual case."""

import json
import random
from pathlib import Path

from bench import curl
from bench.appserver import Uvicorn, app_env, migrate, register
from bench.data import make_blob
from bench.report import Outcome
from bench.stats import MIB, alternate, median, ratio

BLOB_MIB = 64
READS = 40
WORDS = [f"w{n}" for n in range(3000)] + "the of and to in is was he for it with as his on be at".split()  # noqa: SIM905
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # video/mp4: never compressed


def make_text(path: Path, size: int, *, seed: int = 5) -> Path:
    """`size` bytes of lines of words (compresses to about a third), in 8 MiB tiles."""
    rng = random.Random(seed)
    words = rng.choices(WORDS, k=8 * MIB // 4)
    tile = "\n".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12)).encode()
    with path.open("wb") as out:
        remaining = size
        while remaining > 0:
            out.write(tile[: min(len(tile), remaining)])
            remaining -= min(len(tile), remaining)
    return path


class Reader:
    def __init__(self, app: Uvicorn, work: Path) -> None:
        self.app = app
        self.work = work
        _, token = register(app.url(""), "archivist")
        self.auth = f"Authorization: Bearer {token}"

    def upload(self, path: Path, media_type: str) -> str:
        body = self.work / f"{path.name}.json"
        form = f"files=@{path};type={media_type}"
        curl.one(["-H", self.auth, "-F", form, "-o", str(body), self.app.url("/api/upload")], expect=201)
        file_id: str = json.loads(body.read_text())["files"][0]["id"]
        return file_id

    def ranges(self, file_id: str) -> list[float]:
        start = BLOB_MIB * MIB // 2 + MIB // 3
        header = f"Range: bytes={start}-{start + MIB - 1}"
        url = self.app.url(f"/api/files/{file_id}/download")
        config = self.work / "ranges.curl"
        transfers = curl.repeated_get(url, count=READS + 1, headers=[self.auth, header], config=config)
        if any(t.status != 206 or t.downloaded != MIB for t in transfers):
            raise RuntimeError(f"Range read of {url} did not answer 206 with 1 MiB")
        return [t.seconds * 1000 for t in transfers[1:]]  # the first one also opened the connection


def measure_compressed_range(tmp: Path, logs: Path, rounds: int) -> Outcome:
    work = tmp / "compress"
    (work / "data").mkdir(parents=True)
    text = make_text(work / "book.txt", BLOB_MIB * MIB)
    plain = make_blob(work / "clip.mp4", BLOB_MIB * MIB, header=MP4_HEADER)
    env = {**app_env(work / "data"), "COMPRESS_AT_REST": "true"}
    migrate(env)
    app = Uvicorn("atrium-compress", "app.main:create_app", env=env, logs=logs)
    try:
        reader = Reader(app, work)
        compressed_id = reader.upload(text, "text/plain")
        plain_id = reader.upload(plain, "video/mp4")
        stored = _stored_sizes(work / "data" / "atrium.db")
        compressed, kept = alternate(
            rounds, lambda: reader.ranges(compressed_id), lambda: reader.ranges(plain_id)
        )
    finally:
        app.stop()
    compressed_ms = [ms for batch in compressed for ms in batch]
    plain_ms = [ms for batch in kept for ms in batch]
    outcome = Outcome()
    outcome.metrics["compressed_range_vs_plain"] = ratio(median(compressed_ms), median(plain_ms))
    outcome.details["compressed_range_1mib"] = {
        "compressed_median_ms": median(compressed_ms),
        "plain_median_ms": median(plain_ms),
        "reads_each": len(plain_ms),
        "bytes": BLOB_MIB * MIB,
        "stored_bytes": stored,
    }
    return outcome


def _stored_sizes(database: Path) -> dict[str, int | None]:
    import sqlite3

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT name, stored_size FROM file").fetchall()
    return {str(name): stored for name, stored in rows}
