"""A streamed ZIP of many files against downloading the same bytes as one file, through the API."""

import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import curl
from bench.appserver import Uvicorn
from bench.procs import RssSampler
from bench.report import Outcome
from bench.stats import MIB, alternate, median, ratio, throughput_mib_s

BATCH = 100  # files per upload request (the server's default MAX_FILES_PER_REQUEST)


@dataclass
class Zips:
    app: Uvicorn
    token: str
    folder_id: str
    single_id: str
    rounds: int
    rss_growth: list[float]

    @property
    def auth(self) -> str:
        return f"Authorization: Bearer {self.token}"

    def app_zip(self) -> float:
        sampler = RssSampler(self.app.service.worker_pids()[0])
        with sampler.running():
            url = self.app.url(f"/api/folders/{self.folder_id}/zip")
            transfer = curl.one(["-H", self.auth, "-o", "/dev/null", url], expect=200, timeout=900)
        self.rss_growth.append(sampler.growth / MIB)
        return throughput_mib_s(transfer.downloaded, transfer.seconds)

    def app_single(self) -> float:
        url = self.app.url(f"/api/files/{self.single_id}/download")
        transfer = curl.one(["-H", self.auth, "-o", "/dev/null", url], expect=200, timeout=900)
        return throughput_mib_s(transfer.downloaded, transfer.seconds)


def seed(app: Uvicorn, token: str, *, files: int, total: int, header: bytes, work: Path) -> tuple[str, str]:
    """A folder of `files` files of `total` bytes in all, and one file of the same bytes; answers
    (folder id, single file id). The single file is written from the same parts."""
    headers = {"Authorization": f"Bearer {token}"}
    each = total // files
    single = work / "zip-single.mp4"
    with httpx.Client(base_url=app.url(""), headers=headers, timeout=600) as http:
        folder = http.post("/api/folders", json={"name": "zip-bench"}).json()["id"]
        with single.open("wb") as out:
            for start in range(0, files, BATCH):
                parts = []
                for index in range(start, min(files, start + BATCH)):
                    data = header + os.urandom(each - len(header))
                    out.write(data)
                    parts.append(("files", (f"clip-{index}.mp4", data, "video/mp4")))
                response = http.post("/api/upload", files=parts, data={"folder_id": folder})
                response.raise_for_status()
        with single.open("rb") as body:
            response = http.post("/api/upload", files=[("files", ("all.mp4", body, "video/mp4"))])
        response.raise_for_status()
        single_id = str(response.json()["files"][0]["id"])
    single.unlink()
    return str(folder), single_id


def measure_zip(z: Zips) -> Outcome:
    z.app_single()  # warm the page cache and the server
    z.app_zip()
    z.rss_growth.clear()
    zip_speeds, single_speeds = alternate(z.rounds, z.app_zip, z.app_single)
    outcome = Outcome()
    outcome.metrics["zip_vs_raw"] = ratio(median(zip_speeds), median(single_speeds))
    outcome.metrics["zip_rss_growth_mib"] = max(z.rss_growth)
    outcome.reasons["zip_rss_growth_mib"] = "largest growth over the rounds (RSS sampled every 10 ms)"
    outcome.details["zip"] = {
        "zip_mib_s": zip_speeds,
        "single_file_mib_s": single_speeds,
        "zip_median_mib_s": median(zip_speeds),
        "single_median_mib_s": median(single_speeds),
        "rss_growth_mib_per_round": z.rss_growth,
    }
    return outcome
