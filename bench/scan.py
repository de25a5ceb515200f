"""`scan_overhead`: a 200 MiB multipart upload with clamd scanning on, divided by the same upload
with scanning off (two servers on the same machine, the same clamd, alternating rounds)."""

import json
from pathlib import Path

from bench import curl
from bench.appserver import Uvicorn, app_env, migrate, register
from bench.clamd import running_clamd
from bench.data import make_blob
from bench.report import Outcome
from bench.stats import MIB, alternate, median, ratio, throughput_mib_s

BLOB_MIB = 200
STREAM_MAX = 512 * MIB  # above the file: the bench measures scanning, not the fail mode
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


class Uploader:
    def __init__(self, app: Uvicorn, blob: Path, work: Path) -> None:
        self.app = app
        self.blob = blob
        self.body = work / f"{app.port}.json"
        _, self.token = register(app.url(""), "scanner")

    def upload(self) -> float:
        auth = f"Authorization: Bearer {self.token}"
        form = f"files=@{self.blob};type=video/mp4"
        transfer = curl.one(
            ["-H", auth, "-F", form, "-o", str(self.body), self.app.url("/api/upload")], expect=201
        )
        file_id = json.loads(self.body.read_text())["files"][0]["id"]
        self.app.purge(file_id, self.token)
        return throughput_mib_s(transfer.uploaded, transfer.seconds)


def measure_scan(tmp: Path, logs: Path, rounds: int) -> Outcome:
    work = tmp / "scan"
    work.mkdir()
    blob = make_blob(work / "blob.mp4", BLOB_MIB * MIB, header=MP4_HEADER)
    with running_clamd(work / "clamd", stream_max=STREAM_MAX) as clamd:
        servers: list[Uvicorn] = []
        try:
            for name, extra in (("plain", {}), ("scanned", {"CLAMD_ADDRESS": clamd.tcp})):
                (work / name).mkdir()
                env = {**app_env(work / name), **extra}
                migrate(env)
                servers.append(Uvicorn(f"atrium-{name}", "app.main:create_app", env=env, logs=logs))
            plain, scanned = (Uploader(server, blob, work) for server in servers)
            scanned_speeds, plain_speeds = alternate(rounds, scanned.upload, plain.upload)
        finally:
            for server in servers:
                server.stop()
    outcome = Outcome()
    outcome.metrics["scan_overhead"] = ratio(median(scanned_speeds), median(plain_speeds))
    outcome.details["scan"] = {
        "scanned_mib_s": scanned_speeds,
        "plain_mib_s": plain_speeds,
        "bytes": BLOB_MIB * MIB,
    }
    return outcome
