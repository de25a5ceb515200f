"""`python -m bench`: install, start, measure side by side, stop, write bench/results/latest.*"""

import argparse
import contextlib
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import (
    compress,
    healthz,
    listing,
    previews,
    scale,
    scaling,
    scan,
    soak,
    thumbs,
    transfer,
    tus,
    zips,
)
from bench.appserver import REPO, Uvicorn, app_env, migrate, register
from bench.data import make_blob, make_photo
from bench.nginx import Nginx
from bench.postgres import postgres_cluster
from bench.profile import recording, top_frames
from bench.report import Outcome, build_results, render_markdown, unmeasured, write_results
from bench.s3 import s3_server
from bench.stats import GOALS, MIB
from bench.system import ensure_tools
from bench.wrk import wrk

RESULTS = REPO / "bench" / "results"
SUITES = (
    "thumbs",
    "transfer",
    "list",
    "tus",
    "zip",
    "scaling",
    "soak",
    "scan",
    "previews",
    "s3",
    "pgsearch",
    "compress",
)
# moto keeps objects in memory (and copies parts on completion): 1 GiB is the size, this the
# default that fits a shared machine; ATRIUM_BENCH_S3_MIB or --s3-mib sets it.
S3_MIB = int(os.environ.get("ATRIUM_BENCH_S3_MIB", "256"))
# An MP4 `ftyp` box: libmagic calls the file video/mp4, an accepted type, whatever follows.
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
# A gzip member header: application/gzip, a type nothing is extracted from, so the S3 figures time
# the transfer alone (a video or PDF on S3 is read back whole for its poster; bench/README.md).
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"


@dataclass(frozen=True)
class Options:
    rounds: int
    blob_mib: int
    files: int
    wrk_seconds: int
    soak_seconds: int
    profile: bool
    output: Path
    only: frozenset[str]
    tus_chunk_mib: int = 32
    zip_files: int = 2000
    zip_mib: int = 1024
    s3_mib: int = S3_MIB


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="alternating A/B rounds per comparison")
    parser.add_argument("--blob-mib", type=int, default=1024, help="size of the upload/download file")
    parser.add_argument("--files", type=int, default=listing.FILE_COUNT, help="files seeded for the list")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="seconds per wrk round")
    parser.add_argument("--soak-seconds", type=int, default=60, help="length of the 30-client soak")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip py-spy on misses")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where latest.md/json go")
    parser.add_argument("--zip-files", type=int, default=2000, help="files in the zip_vs_raw folder")
    parser.add_argument("--zip-mib", type=int, default=1024, help="bytes in all of the zip_vs_raw files")
    parser.add_argument("--only", default=",".join(SUITES), help=f"comma-separated subset of {SUITES}")
    parser.add_argument("--tus-chunk-mib", type=int, default=32, help="MiB per tus PATCH")
    parser.add_argument("--s3-mib", type=int, default=S3_MIB, help="size of the S3 upload/download file")
    ns = parser.parse_args(argv)
    only = frozenset(ns.only.split(","))
    if not only <= set(SUITES):
        parser.error(f"--only takes {SUITES}")
    return Options(
        ns.rounds,
        ns.blob_mib,
        ns.files,
        ns.wrk_seconds,
        ns.soak_seconds,
        ns.profile,
        ns.output,
        only,
        ns.tus_chunk_mib,
        ns.zip_files,
        ns.zip_mib,
        ns.s3_mib,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    ensure_tools()
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    outcome = Outcome()
    with tempfile.TemporaryDirectory(prefix="atrium-bench-") as tmp:
        Bench(Path(tmp), options, outcome).run()
    run_info = describe_run(options, time.monotonic() - started)
    run_info["load_average"] = f"{load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end (1 min)"
    data = build_results(outcome, run_info)
    write_results(options.output, data)
    print(render_markdown(data).split("## Details")[0])
    print(f"bench: wrote {options.output}/latest.md and latest.json")
    return 0


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # so every `finally` stops what it started


class Bench:
    def __init__(self, tmp: Path, options: Options, outcome: Outcome) -> None:
        self.tmp = tmp
        self.options = options
        self.outcome = outcome
        self.logs = tmp / "logs"
        self.logs.mkdir()
        (tmp / "data").mkdir()
        self.env = app_env(tmp / "data")

    def run(self) -> None:
        step("making a 24 MP photo")
        photo = make_photo(self.tmp / "photo.jpg")
        migrate(self.env)
        if "thumbs" in self.options.only:
            step("thumbnails: atrium vs libvips vs naive Pillow")
            work = self.tmp / "thumbs"
            self.guard(["thumbs_vs_vips"], lambda: thumbs.measure_thumbs(photo, work, self.options.rounds))
        if "transfer" in self.options.only:
            step(f"making a {self.options.blob_mib} MiB file")
            blob = make_blob(self.tmp / "blob.mp4", self.options.blob_mib * MIB, header=MP4_HEADER)
            with self.transfer_servers() as (app, nginx):
                self.transfers(app, nginx, blob, photo)
        if "list" in self.options.only:
            self.lists()
        if "tus" in self.options.only:
            self.tus_uploads()
        if "zip" in self.options.only:
            self.zips()
        if "scaling" in self.options.only:
            self.scale_reads()
        if "soak" in self.options.only:
            self.soak()
        if "scan" in self.options.only:
            step(f"scan: {scan.BLOB_MIB} MiB upload with clamd scanning vs without")
            self.guard(["scan_overhead"], lambda: scan.measure_scan(self.tmp, self.logs, self.options.rounds))
        if "previews" in self.options.only:
            step("previews: PDF first page vs pdftoppm, video poster vs ffmpeg")
            keys = ["pdf_preview_ms", "pdf_preview_vs_pdftoppm", "video_poster_ms", "video_poster_vs_ffmpeg"]
            self.guard(keys, lambda: previews.measure_previews(self.tmp / "previews", self.options.rounds))
        if "s3" in self.options.only:
            self.s3_transfers()
        if "pgsearch" in self.options.only:
            self.pg_search()
        if "compress" in self.options.only:
            step(
                f"compress: 1 MiB Range reads of a {compress.BLOB_MIB} MiB original kept compressed vs plain"
            )
            self.guard(
                ["compressed_range_vs_plain"],
                lambda: compress.measure_compressed_range(self.tmp, self.logs, self.options.rounds),
            )

    def guard(self, keys: list[str], measure: Callable[[], Outcome]) -> None:
        """A suite that fails reports its figures as null with the error, and the run goes on."""
        try:
            self.outcome.merge(measure())
        except Exception as exc:
            traceback.print_exc()
            self.outcome.merge(unmeasured(keys, f"failed: {type(exc).__name__}: {exc}".splitlines()[0]))

    @contextlib.contextmanager
    def transfer_servers(self) -> Iterator[tuple[Uvicorn, Nginx]]:
        app = Uvicorn("atrium-1w", "app.main:create_app", env=self.env, logs=self.logs)
        try:
            nginx = Nginx(self.tmp / "nginx")
            try:
                yield app, nginx
            finally:
                nginx.stop()
        finally:
            app.stop()

    def transfers(self, app: Uvicorn, nginx: Nginx, blob: Path, photo: Path) -> None:
        _, token = register(app.url(""), "uploader")
        work = self.tmp / "transfer"
        work.mkdir()
        t = transfer.Transfers(app, nginx, token, blob, work, self.options.rounds)
        upload_ok = app.has_route("post", "/api/upload")
        step("upload: atrium multipart vs nginx PUT")
        self.guard(["upload_vs_nginx", "upload_rss_growth_mib"], lambda: transfer.measure_upload(t))
        self.profile_if_missed("upload_vs_nginx", app, t.app_upload)
        step("download and Range: atrium vs nginx sendfile")
        self.guard(["download_vs_nginx", "range_latency_vs_nginx"], lambda: transfer.measure_download(t))
        self.profile_if_missed("download_vs_nginx", app, t.app_download)
        self.profile_if_missed("range_latency_vs_nginx", app, t.app_ranges)
        step("healthz while four photos upload")
        hz = self.tmp / "healthz"
        hz.mkdir()
        self.guard(
            ["healthz_p99_ms"],
            lambda: healthz.measure_healthz(
                port=app.port, token=token, photo=photo, work=hz, rounds=3, available=upload_ok
            ),
        )
        self.profile_if_missed(
            "healthz_p99_ms",
            app,
            lambda: healthz.measure_healthz(
                port=app.port, token=token, photo=photo, work=hz, rounds=1, available=upload_ok
            ),
        )

    def tus_uploads(self) -> None:
        blob = self.tmp / "blob.mp4"
        if not blob.exists():
            step(f"making a {self.options.blob_mib} MiB file")
            make_blob(blob, self.options.blob_mib * MIB, header=MP4_HEADER)
        app = Uvicorn("atrium-tus", "app.main:create_app", env=self.env, logs=self.logs)
        try:
            _, token = register(app.url(""), "tus-uploader")
            work = self.tmp / "tus"
            work.mkdir()
            uploads = tus.TusUploads(
                app, token, blob, work, self.options.rounds, chunk_bytes=self.options.tus_chunk_mib * MIB
            )
            step(f"upload: tus in {self.options.tus_chunk_mib} MiB PATCHes vs multipart POST /api/upload")
            self.guard(tus.KEYS, lambda: tus.measure_tus(uploads))
            self.profile_if_missed("tus_vs_multipart", app, uploads.tus)
        finally:
            app.stop()

    def lists(self) -> None:
        step(f"seeding {self.options.files} files")
        seeder = Uvicorn("atrium-seed", "app.main:create_app", env=self.env, logs=self.logs)
        try:
            owner_id, token = register(seeder.url(""), "lister")
            list_ok = seeder.has_route("get", "/api/files")
            search_ok = seeder.has_route("get", "/api/search")
        finally:
            seeder.stop()
        seconds = listing.seed_files(self.env["DATABASE_URL"], owner_id, self.options.files)
        self.outcome.details["seed"] = {"files": self.options.files, "seconds": seconds}
        workers = os.cpu_count() or 1
        app = Uvicorn("atrium-list", "app.main:create_app", env=self.env, logs=self.logs, workers=workers)
        try:
            ceiling = Uvicorn(
                "ceiling", "bench.ceiling:app", env=self.env, logs=self.logs, workers=workers, factory=False
            )
            try:
                step(f"list: wrk, 50 connections, {workers} workers, atrium vs ceiling")
                self.guard(
                    ["list_p99_ms", "list_vs_ceiling"],
                    lambda: listing.measure_list(
                        app_url=app.url(""),
                        ceiling_url=ceiling.url(""),
                        token=token,
                        work=self.tmp,
                        rounds=3,
                        seconds=self.options.wrk_seconds,
                        available=list_ok,
                    ),
                )
            finally:
                ceiling.stop()
            self.outcome.details.setdefault("list", {})["workers"] = workers
            self.profile_if_missed(
                "list_p99_ms",
                app,
                lambda: wrk(
                    app.url("/api/files?per_page=50"), script=self.tmp / "auth.lua", connections=50, seconds=5
                ),
            )
            step("search: atrium vs raw FTS")
            self.guard(
                ["search_vs_raw"],
                lambda: listing.measure_search(
                    app_url=app.url(""),
                    token=token,
                    database=self.tmp / "data" / "atrium.db",
                    rounds=min(3, self.options.rounds),
                    available=search_ok,
                ),
            )
        finally:
            app.stop()

    def soak(self) -> None:
        """Its own data, so the 100k listing rows do not weigh on it. BENCH_SOAK_DATABASE_URL (an
        empty database) runs it on another database, such as a throwaway PostgreSQL."""
        data = self.tmp / "soak"
        data.mkdir()
        env = app_env(data)
        env["DATABASE_URL"] = os.environ.get("BENCH_SOAK_DATABASE_URL") or env["DATABASE_URL"]
        migrate(env)
        workers = 2
        app = Uvicorn("atrium-soak", "app.main:create_app", env=env, logs=self.logs, workers=workers)
        try:
            tokens = [register(app.url(""), f"soaker{n}")[1] for n in range(soak.USERS)]
            db = env["DATABASE_URL"].split(":", 1)[0]
            step(f"soak: {soak.CLIENTS} clients, {self.options.soak_seconds} s, {workers} workers, {db}")
            self.guard(
                soak.SOAK_KEYS,
                lambda: soak.measure_soak(
                    base_url=app.url(""),
                    tokens=tokens,
                    env=env,
                    clients=soak.CLIENTS,
                    seconds=self.options.soak_seconds,
                    server_pids=[app.service.pid],  # the supervisor, its workers and their children
                ),
            )
        finally:
            app.stop()

    def scale_reads(self) -> None:
        step(f"scaling: seeding {scaling.SMALL} and {self.options.files} files")
        libraries: list[scaling.Library] = []
        try:
            libraries.append(scaling.open_library(self.tmp, self.logs, scaling.SMALL))
            libraries.append(scaling.open_library(self.tmp, self.logs, self.options.files))
            self.compare_libraries(*libraries)
        finally:
            for library in libraries:
                library.app.stop()

    def compare_libraries(self, small: scaling.Library, large: scaling.Library) -> None:
        step("scaling: single-request medians, small vs large library")
        rounds = min(3, self.options.rounds)
        self.guard(list(scaling.ENDPOINTS), lambda: scaling.measure_scaling(small, large, rounds=rounds))
        for key, path in large.paths().items():
            self.profile_if_missed(key, large.app, scaling.timings(large, path))

    def zips(self) -> None:
        files, total = self.options.zip_files, self.options.zip_mib * MIB
        step(f"zip: {files} files, {self.options.zip_mib} MiB in all, vs the same bytes as one file")
        app = Uvicorn("atrium-zip", "app.main:create_app", env=self.env, logs=self.logs)
        try:
            _, token = register(app.url(""), "zipper")
            folder_id, single_id = zips.seed(
                app, token, files=files, total=total, header=MP4_HEADER, work=self.tmp
            )
            z = zips.Zips(app, token, folder_id, single_id, self.options.rounds, [])
            self.guard(["zip_vs_raw", "zip_rss_growth_mib"], lambda: zips.measure_zip(z))
            self.outcome.details.setdefault("zip", {}).update({"files": files, "mib": self.options.zip_mib})
            self.profile_if_missed("zip_vs_raw", app, z.app_zip)
        finally:
            app.stop()

    def s3_transfers(self) -> None:
        mib = self.options.s3_mib
        step(f"s3: {mib} MiB upload, download and Range reads, atrium vs obstore on moto's server")
        blob = make_blob(self.tmp / "s3-blob.gz", mib * MIB, header=GZIP_HEADER)
        media = make_blob(self.tmp / "s3-blob.mp4", mib * MIB, header=MP4_HEADER)
        data = self.tmp / "s3"
        data.mkdir()
        with s3_server() as server:
            env = scale.s3_env(data, server)
            migrate(env)
            app = Uvicorn("atrium-s3", "app.main:create_app", env=env, logs=self.logs)
            try:
                _, token = register(app.url(""), "s3-uploader")
                t = scale.S3Transfers(app, server, token, blob, data, self.options.rounds, media)
                self.guard(scale.S3_KEYS, lambda: scale.measure_s3(t))
                self.profile_if_missed("s3_upload_vs_direct", app, t.app_upload)
                self.profile_if_missed("s3_upload_vs_direct_media", app, t.app_upload_media)
                self.profile_if_missed("s3_download_vs_direct", app, t.app_download)
                self.profile_if_missed("s3_range_latency_vs_direct", app, t.app_ranges)
            finally:
                app.stop()
        blob.unlink()
        media.unlink()

    def pg_search(self) -> None:
        files = self.options.files
        step(f"pg search: {files} files on a throwaway PostgreSQL, atrium vs the raw ranked SQL")
        self.guard(scale.PG_KEYS, lambda: self._pg_search(files))

    def _pg_search(self, files: int) -> Outcome:
        data = self.tmp / "pg"
        data.mkdir()
        with postgres_cluster() as server:
            env = {**app_env(data), "DATABASE_URL": f"{server}/postgres"}
            migrate(env)
            seeder = Uvicorn("atrium-pg-seed", "app.main:create_app", env=env, logs=self.logs)
            try:
                owner_id, token = register(seeder.url(""), "pg-searcher")
            finally:
                seeder.stop()
            seconds = scale.seed_postgres(env["DATABASE_URL"], owner_id, files)
            self.outcome.details["pg_seed"] = {"files": files, "seconds": seconds}
            app = Uvicorn("atrium-pg", "app.main:create_app", env=env, logs=self.logs)
            try:
                rounds = min(3, self.options.rounds)
                outcome = scale.measure_pg_search(
                    app_url=app.url(""),
                    token=token,
                    database_url=env["DATABASE_URL"],
                    owner_id=owner_id,
                    rounds=rounds,
                    files=files,
                )
                self.outcome.merge(outcome)  # now, so that profile_if_missed sees the figure
                query = listing.SEARCH_QUERIES[0]
                self.profile_if_missed(
                    "pg_search_vs_raw", app, listing.api_search(app.url("/api/search"), token, query)
                )
                return outcome
            finally:
                app.stop()

    def profile_if_missed(self, key: str, app: Uvicorn, workload: Callable[[], object]) -> None:
        value = self.outcome.metrics.get(key)
        if not self.options.profile or value is None or GOALS[key].met(value):
            return
        step(f"profiling {key} (missed its goal)")
        output = self.tmp / f"profile-{key}.txt"
        try:
            with recording(app.service.pid, output):
                time.sleep(0.5)  # let py-spy attach
                workload()
            self.outcome.profiles[key] = top_frames(output.read_text())
        except Exception as exc:
            self.outcome.profiles[key] = [f"profiling failed: {exc}"]


def step(text: str) -> None:
    print(f"bench: {text}", flush=True)


def describe_run(options: Options, seconds: float) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _quiet(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}",
        "python": sys.version.split()[0],
        "nginx": _quiet(["nginx", "-v"]).removeprefix("nginx version: "),
        "libvips": _quiet(["vips", "--version"]),
        "wrk": _quiet(["wrk", "-v"]).split(" [")[0],
        "rounds": options.rounds,
        "file_mib": options.blob_mib,
        "duration_s": round(seconds, 1),
    }


def _quiet(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unknown"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "unknown"
