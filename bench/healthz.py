"""/healthz latency while four 24 MP JPEGs are uploaded at once (is the event loop free?)."""

import http.client
import os
import shutil
import subprocess
import time
from pathlib import Path

from bench.report import Outcome, unmeasured
from bench.stats import median, percentile

UPLOADS_AT_ONCE = 4


def variant(photo: Path, target: Path) -> Path:
    """The same JPEG with a few random bytes after its end: a distinct file, the same decode work."""
    shutil.copyfile(photo, target)
    with target.open("ab") as out:
        out.write(os.urandom(16))
    return target


def poll_while(port: int, busy: list[subprocess.Popen[bytes]], *, minimum: int = 0) -> list[float]:
    """Sequential GET /healthz on one kept-alive connection until every process in `busy` ended."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    try:
        while any(proc.poll() is None for proc in busy) or len(latencies) < minimum:
            start = time.perf_counter()
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - start)
            if response.status != 200:
                raise RuntimeError(f"/healthz answered {response.status}")
            time.sleep(0.002)
    finally:
        connection.close()
    return latencies


def start_uploads(url: str, token: str, photos: list[Path]) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [
                "curl",
                "-sS",
                "-f",
                "-H",
                "Expect:",
                "-H",
                f"Authorization: Bearer {token}",
                "-F",
                f"files=@{photo};type=image/jpeg",
                "-o",
                "/dev/null",
                url,
            ],
            start_new_session=True,
        )
        for photo in photos
    ]


def measure_healthz(
    *, port: int, token: str, photo: Path, work: Path, rounds: int, available: bool
) -> Outcome:
    idle = poll_while(port, [], minimum=500)
    if not available:
        outcome = unmeasured(["healthz_p99_ms"], "POST /api/upload is not on this branch yet")
        outcome.details["healthz"] = {
            "idle_p50_ms": median(idle) * 1000,
            "idle_p99_ms": percentile(idle, 99) * 1000,
        }
        return outcome
    loaded: list[float] = []
    for index in range(rounds):
        photos = [variant(photo, work / f"load_{index}_{n}.jpg") for n in range(UPLOADS_AT_ONCE)]
        uploads = start_uploads(f"http://127.0.0.1:{port}/api/upload", token, photos)
        try:
            loaded.extend(poll_while(port, uploads))
        finally:
            for proc in uploads:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        if failed := [proc.returncode for proc in uploads if proc.returncode != 0]:
            raise RuntimeError(f"image uploads failed under load (curl exit codes {failed})")
    outcome = Outcome()
    outcome.metrics["healthz_p99_ms"] = percentile(loaded, 99) * 1000
    outcome.details["healthz"] = {
        "loaded_p50_ms": median(loaded) * 1000,
        "loaded_p99_ms": percentile(loaded, 99) * 1000,
        "loaded_max_ms": max(loaded) * 1000,
        "loaded_samples": len(loaded),
        "idle_p50_ms": median(idle) * 1000,
        "idle_p99_ms": percentile(idle, 99) * 1000,
        "uploads": f"{rounds} rounds of {UPLOADS_AT_ONCE} x {photo.stat().st_size} byte JPEGs",
    }
    return outcome
