"""1 GiB through tus in 32 MiB PATCHes against the same file through `POST /api/upload`, alternating
rounds; curl is the client on both sides (its own `time_total`, summed over the tus requests)."""

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

from bench import curl
from bench.appserver import Uvicorn
from bench.procs import RssSampler
from bench.report import Outcome, unmeasured
from bench.stats import MIB, alternate, median, median_or_none, ratio, throughput_mib_s

TUS = "Tus-Resumable: 1.0.0"
KEYS = ["tus_vs_multipart", "tus_rss_growth_mib"]


@dataclass
class TusUploads:
    app: Uvicorn
    token: str
    blob: Path
    work: Path
    rounds: int
    chunk_bytes: int = 32 * MIB
    chunks: list[Path] = field(default_factory=list)
    kept_id: str | None = None
    tus_rss: list[float] = field(default_factory=list)
    multipart_rss: list[float] = field(default_factory=list)

    @property
    def auth(self) -> str:
        return f"Authorization: Bearer {self.token}"

    def split(self) -> None:
        """The PATCH bodies as files, so curl streams each from disk (`-T`)."""
        with open(self.blob, "rb") as source:
            index = 0
            while data := source.read(self.chunk_bytes):
                chunk = self.work / f"chunk-{index:05d}"
                chunk.write_bytes(data)
                self.chunks.append(chunk)
                index += 1

    def multipart(self) -> float:
        body = self.work / "upload.json"
        sampler = RssSampler(self.app.service.worker_pids()[0])
        with sampler.running():
            args = ["-H", self.auth, "-F", f"files=@{self.blob};type=video/mp4", "-o", str(body)]
            transfer = curl.one([*args, self.app.url("/api/upload")], expect=201)
        self.multipart_rss.append(sampler.growth / MIB)
        self._keep_latest(json.loads(body.read_text())["files"][0]["id"])
        return throughput_mib_s(transfer.uploaded, transfer.seconds)

    def tus(self) -> float:
        size = self.blob.stat().st_size
        headers = self.work / "headers.txt"
        sampler = RssSampler(self.app.service.worker_pids()[0])
        with sampler.running():
            name = base64.b64encode(self.blob.name.encode()).decode()
            create = ["-X", "POST", "-H", self.auth, "-H", TUS, "-H", f"Upload-Length: {size}"]
            create += ["-H", f"Upload-Metadata: filename {name}", "-D", str(headers), "-o", "/dev/null"]
            seconds = curl.one([*create, self.app.url("/api/uploads/tus")], expect=201).seconds
            location = _header(headers, "location")
            offset = 0
            for chunk in self.chunks:
                patch = ["-X", "PATCH", "-T", str(chunk), "-H", self.auth, "-H", TUS, "-D", str(headers)]
                patch += [
                    "-H",
                    "Content-Type: application/offset+octet-stream",
                    "-H",
                    f"Upload-Offset: {offset}",
                ]
                seconds += curl.one([*patch, "-o", "/dev/null", location], expect=204).seconds
                offset += chunk.stat().st_size
        self.tus_rss.append(sampler.growth / MIB)
        self._keep_latest(_header(headers, "atrium-file-id"))
        return throughput_mib_s(size, seconds)

    def _keep_latest(self, file_id: str) -> None:
        """Only the latest upload stays on disk."""
        if self.kept_id is not None:
            self.app.purge(self.kept_id, self.token)
        self.kept_id = file_id


def _header(path: Path, name: str) -> str:
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    raise RuntimeError(f"no {name} header in the answer")


def measure_tus(uploads: TusUploads) -> Outcome:
    if not uploads.app.has_route("patch", "/api/uploads/tus/{upload_id}"):
        return unmeasured(KEYS, "tus uploads are not on this branch yet")
    uploads.split()
    tus_speeds, multipart_speeds = alternate(uploads.rounds, uploads.tus, uploads.multipart)
    outcome = Outcome()
    outcome.metrics["tus_vs_multipart"] = ratio(median(tus_speeds), median(multipart_speeds))
    outcome.metrics["tus_rss_growth_mib"] = max(uploads.tus_rss)
    outcome.reasons["tus_rss_growth_mib"] = "largest growth over the rounds (RSS sampled every 10 ms)"
    outcome.details["tus"] = {
        "tus_mib_s": tus_speeds,
        "multipart_mib_s": multipart_speeds,
        "tus_median_mib_s": median_or_none(tus_speeds),
        "multipart_median_mib_s": median_or_none(multipart_speeds),
        "tus_rss_growth_mib_per_round": uploads.tus_rss,
        "multipart_rss_growth_mib_per_round": uploads.multipart_rss,
        "chunk_mib": uploads.chunk_bytes / MIB,
        "bytes": uploads.blob.stat().st_size,
    }
    return outcome
