"""The soak: 30 clients for 60 s against 2 workers on SQLite, each uploading, listing, downloading
(with a hash check), renaming, trashing, restoring, deleting for good and searching its own files.

Afterwards every acknowledged file must be where its client left it with the bytes it sent, and
`atrium verify` must re-hash every stored blob equal. Nothing here is timed by the server: the
latencies are the clients' own, request sent to body read.
"""

import asyncio
import hashlib
import io
import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from bench.procs import process_tree_cpu
from bench.report import Outcome, unmeasured
from bench.stats import median, percentile

WRITES = ("upload", "rename", "trash", "restore", "delete")
WEIGHTS = {
    "upload": 15,
    "list": 18,
    "download": 20,
    "rename": 10,
    "trash": 10,
    "restore": 8,
    "delete": 5,
    "search": 14,
}
WORDS = ["harbour", "lantern", "meadow", "copper", "violet", "orchard", "glacier", "ember", "quartz", "fjord"]
CLIENTS = 30
USERS = 6
SOAK_KEYS = ["soak_5xx", "soak_write_p99_ms", "soak_lost_or_corrupt"]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)

    def record(self, op: str, seconds: float, response: httpx.Response) -> None:
        self.latencies.setdefault(op, []).append(seconds)
        self.statuses[f"{op} {response.status_code}"] += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{op} {response.status_code} {response.text[:200]}")


@dataclass
class Owned:
    """What one client believes it has: acknowledged files and their hashes."""

    live: dict[str, str] = field(default_factory=dict)
    trashed: dict[str, str] = field(default_factory=dict)
    purged: set[str] = field(default_factory=set)


def small_jpegs(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    images = []
    for _ in range(count):
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), colour).save(buffer, "JPEG", quality=85)
        images.append(buffer.getvalue())
    return images


class Client:
    def __init__(self, http: httpx.AsyncClient, rng: random.Random, tally: Tally, jpegs: list[bytes]) -> None:
        self.http = http
        self.rng = rng
        self.tally = tally
        self.jpegs = jpegs
        self.owned = Owned()
        self.serial = 0

    async def run(self, deadline: float) -> None:
        ops = list(WEIGHTS)
        weights = list(WEIGHTS.values())
        while time.monotonic() < deadline:
            op = self.rng.choices(ops, weights)[0]
            try:
                await getattr(self, op)()
            except httpx.HTTPError as exc:
                self.tally.transport_errors.append(f"{op}: {type(exc).__name__}: {exc}")

    async def timed(self, op: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        start = time.perf_counter()
        response = await self.http.request(method, url, **kwargs)
        self.tally.record(op, time.perf_counter() - start, response)
        return response

    def content(self) -> tuple[str, bytes]:
        self.serial += 1
        if self.rng.random() < 0.3:
            return f"photo-{self.serial}.jpg", self.rng.choice(self.jpegs) + os.urandom(16)
        words = " ".join(self.rng.choice(WORDS) for _ in range(200))
        return f"note-{self.serial}.txt", f"{words}\n{os.urandom(8).hex()}\n".encode()

    async def upload(self) -> None:
        name, data = self.content()
        response = await self.timed("upload", "POST", "/api/upload", files={"files": (name, data)})
        if response.status_code == 201:
            stored = response.json()["files"][0]
            self.owned.live[stored["id"]] = sha256(data)

    async def list(self) -> None:
        await self.timed("list", "GET", "/api/files", params={"per_page": 50, "sort": "created_at"})

    async def search(self) -> None:
        await self.timed("search", "GET", "/api/search", params={"q": self.rng.choice(WORDS)})

    async def download(self) -> None:
        file_id = self.pick(self.owned.live)
        if file_id is None:
            return await self.upload()
        response = await self.timed("download", "GET", f"/api/files/{file_id}/download")
        if response.status_code == 200 and sha256(response.content) != self.owned.live[file_id]:
            self.tally.corrupt.append(f"download of {file_id} hashed differently")

    async def rename(self) -> None:
        file_id = self.pick(self.owned.live)
        if file_id is None:
            return await self.upload()
        await self.timed("rename", "PATCH", f"/api/files/{file_id}", json={"name": f"renamed-{self.serial}"})

    async def trash(self) -> None:
        file_id = self.pick(self.owned.live)
        if file_id is None:
            return await self.upload()
        response = await self.timed("trash", "DELETE", f"/api/files/{file_id}")
        if response.status_code == 204:
            self.owned.trashed[file_id] = self.owned.live.pop(file_id)

    async def restore(self) -> None:
        file_id = self.pick(self.owned.trashed)
        if file_id is None:
            return await self.trash()
        response = await self.timed("restore", "POST", f"/api/files/{file_id}/restore")
        if response.status_code == 200:
            self.owned.live[file_id] = self.owned.trashed.pop(file_id)

    async def delete(self) -> None:
        file_id = self.pick(self.owned.live) or self.pick(self.owned.trashed)
        if file_id is None:
            return await self.upload()
        response = await self.timed("delete", "DELETE", f"/api/files/{file_id}", params={"permanent": "true"})
        if response.status_code == 204:
            self.owned.live.pop(file_id, None)
            self.owned.trashed.pop(file_id, None)
            self.owned.purged.add(file_id)

    def pick(self, files: dict[str, str]) -> str | None:
        return self.rng.choice(list(files)) if files else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def drive(
    base_url: str, tokens: list[str], clients: int, seconds: float, seed: int
) -> tuple[Tally, list[Client]]:
    tally = Tally()
    jpegs = small_jpegs(12)
    rng = random.Random(seed)
    https = [
        httpx.AsyncClient(base_url=base_url, headers=bearer(tokens[n % len(tokens)]), timeout=60)
        for n in range(clients)
    ]
    try:
        crew = [Client(http, random.Random(rng.random()), tally, jpegs) for http in https]
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(client.run(deadline) for client in crew))
        return tally, crew
    finally:
        await asyncio.gather(*(http.aclose() for http in https))


async def audit(client: Client) -> list[str]:
    """Every acknowledged file is where its client left it, with its bytes; purged ones are gone."""
    problems: list[str] = []
    for file_id, sha in client.owned.live.items():
        response = await client.http.get(f"/api/files/{file_id}/download")
        if response.status_code != 200:
            problems.append(f"live {file_id}: download answered {response.status_code}")
        elif sha256(response.content) != sha:
            problems.append(f"live {file_id}: bytes changed")
    for file_id, sha in client.owned.trashed.items():
        response = await client.http.get(f"/api/files/{file_id}")
        if response.status_code != 200 or response.json().get("sha256") != sha:
            problems.append(f"trashed {file_id}: detail answered {response.status_code}")
    for file_id in client.owned.purged:
        response = await client.http.get(f"/api/files/{file_id}")
        if response.status_code != 404:
            problems.append(f"purged {file_id}: still answers {response.status_code}")
    return problems


@dataclass
class CpuUse:
    """CPU seconds spent while the clients ran: the server's processes, and this one (the clients)."""

    server_pids: list[int]
    server_s: float = 0.0
    clients_s: float = 0.0
    wall_s: float = 0.0

    def summary(self, ops: int) -> dict[str, float]:
        cores = os.cpu_count() or 1
        return {
            "server_cpu_s": round(self.server_s, 1),
            "clients_cpu_s": round(self.clients_s, 1),
            "cpu_busy_share": round((self.server_s + self.clients_s) / (self.wall_s * cores), 2),
            "ops_per_s": round(ops / self.wall_s, 1),
            "server_cpu_ms_per_op": round(1000 * self.server_s / max(ops, 1), 1),
        }


async def soak_and_audit(
    base_url: str, tokens: list[str], clients: int, seconds: float, seed: int, cpu: CpuUse
) -> tuple[Tally, list[str], int]:
    server, own, start = process_tree_cpu(cpu.server_pids), time.process_time(), time.monotonic()
    tally, crew = await drive(base_url, tokens, clients, seconds, seed)
    cpu.server_s = process_tree_cpu(cpu.server_pids) - server
    cpu.clients_s, cpu.wall_s = time.process_time() - own, time.monotonic() - start
    problems: list[str] = []
    https = [
        httpx.AsyncClient(base_url=base_url, headers=dict(client.http.headers), timeout=60) for client in crew
    ]
    try:
        for client, http in zip(crew, https, strict=True):
            client.http = http
            problems += await audit(client)
    finally:
        await asyncio.gather(*(http.aclose() for http in https))
    kept = sum(len(client.owned.live) + len(client.owned.trashed) for client in crew)
    return tally, problems, kept


def verify_store(env: dict[str, str]) -> tuple[int, str]:
    """`atrium verify` re-hashes every stored blob against its row."""
    atrium = str(Path(sys.executable).with_name("atrium"))
    done = subprocess.run([atrium, "verify"], env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, (done.stdout + done.stderr).strip()[-2000:]


def summarise(tally: Tally) -> dict[str, Any]:
    by_op = {
        op: {
            "count": len(values),
            "p50_ms": round(median(values) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }
        for op, values in sorted(tally.latencies.items())
    }
    return {"ops": by_op, "statuses": dict(sorted(tally.statuses.items()))}


def measure_soak(
    *,
    base_url: str,
    tokens: list[str],
    env: dict[str, str],
    clients: int,
    seconds: float,
    server_pids: list[int],
    seed: int = 1,
) -> Outcome:
    cpu = CpuUse(server_pids)
    tally, problems, kept = asyncio.run(soak_and_audit(base_url, tokens, clients, seconds, seed, cpu))
    writes = [value for op in WRITES for value in tally.latencies.get(op, [])]
    if not writes:
        return unmeasured(SOAK_KEYS, "no write was made")
    return_code, verify_output = verify_store(env)
    lost = len(problems) + len(tally.corrupt) + (0 if return_code == 0 else 1)
    details = summarise(tally)
    details.update(
        database=env["DATABASE_URL"].split(":", 1)[0],  # the goal's text says SQLite; this says which ran
        clients=clients,
        seconds=seconds,
        files_kept=kept,
        server_errors=tally.server_errors[:20],
        transport_errors=tally.transport_errors[:20],
        lost_or_corrupt=(problems + tally.corrupt)[:20],
        verify=verify_output.splitlines()[-3:],
        **cpu.summary(sum(len(values) for values in tally.latencies.values())),
    )
    return Outcome(
        metrics={
            "soak_5xx": float(len(tally.server_errors)),
            "soak_write_p99_ms": percentile(writes, 99) * 1000,
            "soak_lost_or_corrupt": float(lost),
        },
        details={"soak": details},
    )
