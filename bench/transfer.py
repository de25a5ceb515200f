"""1 GiB upload and download, and 1 MiB Range reads: Atrium against nginx, alternating rounds."""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import curl
from bench.appserver import Uvicorn
from bench.nginx import Nginx
from bench.procs import RssSampler
from bench.report import Outcome, unmeasured
from bench.stats import MIB, alternate, median, median_or_none, ratio, throughput_mib_s

RANGE_READS = 40


@dataclass
class Transfers:
    app: Uvicorn
    nginx: Nginx
    token: str
    blob: Path
    work: Path
    rounds: int
    kept_id: str | None = None
    rss_growth: list[float] = field(default_factory=list)

    @property
    def auth(self) -> str:
        return f"Authorization: Bearer {self.token}"

    # -- one operation each --------------------------------------------------------------------

    def app_upload(self) -> float:
        body = self.work / "upload.json"
        sampler = RssSampler(self.app.service.worker_pids()[0])
        with sampler.running():
            transfer = curl.one(
                [
                    "-H",
                    self.auth,
                    "-F",
                    f"files=@{self.blob};type=video/mp4",
                    "-o",
                    str(body),
                    self.app.url("/api/upload"),
                ],
                expect=201,
            )
        self.rss_growth.append(sampler.growth / MIB)
        self._keep_latest(json.loads(body.read_text())["files"][0]["id"])
        return throughput_mib_s(transfer.uploaded, transfer.seconds)

    def nginx_put(self) -> float:
        transfer = curl.one(
            ["-T", str(self.blob), "-o", "/dev/null", self.nginx.url("/put/blob.bin")], expect=201
        )
        (self.nginx.www / "put" / "blob.bin").unlink()
        return throughput_mib_s(transfer.uploaded, transfer.seconds)

    def app_download(self) -> float:
        url = self.app.url(f"/api/files/{self.kept_id}/download")
        transfer = curl.one(["-H", self.auth, "-o", "/dev/null", url], expect=200)
        return throughput_mib_s(transfer.downloaded, transfer.seconds)

    def nginx_download(self) -> float:
        transfer = curl.one(["-o", "/dev/null", self.nginx.url("/blob.bin")], expect=200)
        return throughput_mib_s(transfer.downloaded, transfer.seconds)

    def app_ranges(self) -> list[float]:
        return self._ranges(self.app.url(f"/api/files/{self.kept_id}/download"), [self.auth])

    def nginx_ranges(self) -> list[float]:
        return self._ranges(self.nginx.url("/blob.bin"), [])

    def _ranges(self, url: str, headers: list[str]) -> list[float]:
        start = self.blob.stat().st_size // 2
        header = f"Range: bytes={start}-{start + MIB - 1}"
        config = self.work / "ranges.curl"
        transfers = curl.repeated_get(url, count=RANGE_READS + 1, headers=[*headers, header], config=config)
        if any(t.status != 206 or t.downloaded != MIB for t in transfers):
            raise RuntimeError(f"Range read of {url} did not answer 206 with 1 MiB")
        return [t.seconds for t in transfers[1:]]  # the first one also opened the connection

    def _keep_latest(self, file_id: str) -> None:
        """Only the latest upload is kept (the download source); earlier ones are removed."""
        if self.kept_id is not None:
            self.app.purge(self.kept_id, self.token)
        self.kept_id = file_id


def measure_upload(t: Transfers) -> Outcome:
    available = t.app.has_route("post", "/api/upload")
    app_speeds, nginx_speeds = alternate(t.rounds, t.app_upload if available else None, t.nginx_put)
    if available:
        outcome = Outcome()
        outcome.metrics["upload_vs_nginx"] = ratio(median(app_speeds), median(nginx_speeds))
        outcome.metrics["upload_rss_growth_mib"] = max(t.rss_growth)
        outcome.reasons["upload_rss_growth_mib"] = "largest growth over the rounds (RSS sampled every 10 ms)"
    else:
        reason = "POST /api/upload is not on this branch yet"
        outcome = unmeasured(["upload_vs_nginx", "upload_rss_growth_mib"], reason)
    outcome.details["upload"] = {
        "atrium_mib_s": app_speeds,
        "nginx_put_mib_s": nginx_speeds,
        "atrium_median_mib_s": median_or_none(app_speeds),
        "nginx_median_mib_s": median(nginx_speeds),
        "rss_growth_mib_per_round": t.rss_growth,
        "bytes": t.blob.stat().st_size,
    }
    return outcome


def measure_download(t: Transfers) -> Outcome:
    keys = ["download_vs_nginx", "range_latency_vs_nginx"]
    available = t.kept_id is not None and _has_download(t)
    os.link(t.blob, t.nginx.www / "blob.bin")
    if available:
        t.app_download()  # warm the page cache and the server
    t.nginx_download()
    app_speeds, nginx_speeds = alternate(t.rounds, t.app_download if available else None, t.nginx_download)
    app_batches, nginx_batches = alternate(t.rounds, t.app_ranges if available else None, t.nginx_ranges)
    app_ms = [seconds * 1000 for batch in app_batches for seconds in batch]
    nginx_ms = [seconds * 1000 for batch in nginx_batches for seconds in batch]
    if available:
        outcome = Outcome()
        outcome.metrics["download_vs_nginx"] = ratio(median(app_speeds), median(nginx_speeds))
        outcome.metrics["range_latency_vs_nginx"] = ratio(median(app_ms), median(nginx_ms))
    else:
        outcome = unmeasured(
            keys, "no download endpoint, or no uploaded file to download, on this branch yet"
        )
    outcome.details["download"] = {
        "atrium_mib_s": app_speeds,
        "nginx_sendfile_mib_s": nginx_speeds,
        "atrium_median_mib_s": median_or_none(app_speeds),
        "nginx_median_mib_s": median(nginx_speeds),
    }
    outcome.details["range_1mib"] = {
        "atrium_median_ms": median_or_none(app_ms),
        "nginx_median_ms": median(nginx_ms),
        "reads_each": len(nginx_ms),
    }
    return outcome


def _has_download(t: Transfers) -> bool:
    paths = httpx.get(t.app.url("/openapi.json"), timeout=30).json().get("paths", {})
    return any(path.startswith("/api/files/{") and path.endswith("/download") for path in paths)
