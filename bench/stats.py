"""Pure helpers: medians, percentiles, ratios and goals. No I/O."""

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

MIB = 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class Goal:
    op: Literal[">=", "<="]
    target: float
    unit: str
    what: str

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.target if self.op == ">=" else value <= self.target

    @property
    def text(self) -> str:
        return f"{self.op} {self.target:g}{' ' + self.unit if self.unit else ''}"


GOALS: dict[str, Goal] = {
    "upload_vs_nginx": Goal(">=", 0.60, "", "1 GiB multipart upload throughput / nginx PUT"),
    "upload_rss_growth_mib": Goal("<=", 50, "MiB", "server peak RSS growth during the 1 GiB upload"),
    "download_vs_nginx": Goal(">=", 0.70, "", "1 GiB download throughput / nginx sendfile"),
    "range_latency_vs_nginx": Goal("<=", 2.0, "", "median 1 MiB mid-file Range read time / nginx"),
    "thumbs_vs_vips": Goal("<=", 1.0, "", "three thumbnails of a 24 MP JPEG / libvips"),
    "list_p99_ms": Goal("<=", 100, "ms", "GET /api/files?per_page=50 p99, 100k files, 50 connections"),
    "list_vs_ceiling": Goal(
        ">=", 0.25, "", "GET /api/files?per_page=50 req/s at 50 connections / bare FastAPI"
    ),
    "search_vs_raw": Goal("<=", 3.0, "", "median GET /api/search time / raw FTS query in sqlite3"),
    "healthz_p99_ms": Goal("<=", 50, "ms", "/healthz p99 while four 24 MP JPEGs upload"),
    "scan_overhead": Goal(">=", 0.7, "", "200 MiB upload throughput with clamd scanning / without"),
    "compressed_range_vs_plain": Goal(
        "<=", 2.0, "", "median 1 MiB Range read of an original kept compressed (zstd) / a plain one"
    ),
    "pdf_preview_ms": Goal(
        "<=", 1000, "ms", "a 20-page PDF: first-page preview, pages and text, bounded child"
    ),
    "pdf_preview_vs_pdftoppm": Goal("<=", 1.5, "", "pdf_preview_ms / pdftoppm -r 36 -f 1 -l 1"),
    "video_poster_ms": Goal(
        "<=", 1000, "ms", "a 1080p 30 s MP4: poster at 1 s, duration, size, bounded child"
    ),
    "video_poster_vs_ffmpeg": Goal("<=", 1.5, "", "video_poster_ms / ffmpeg -ss 1 -frames:v 1"),
    "soak_5xx": Goal("<=", 0, "", "5xx answers in the soak (30 clients, 60 s, 2 workers, SQLite)"),
    "soak_write_p99_ms": Goal("<=", 500, "ms", "p99 of upload, rename, trash, restore, delete in the soak"),
    "soak_lost_or_corrupt": Goal("<=", 0, "", "files lost or changed, plus a failed `atrium verify`"),
    **{
        f"scaling_{name}": Goal("<=", 1.5, "", f"median {path} at --files files (100k by default) / at 1k")
        for name, path in [
            ("files", "GET /api/files"),
            ("images", "GET /api/images"),
            ("auth_user", "GET /api/auth/user"),
            ("storage_stats", "GET /api/storage/stats"),
            ("tags", "GET /api/tags (no tags)"),
            ("albums", "GET /api/albums"),
            ("folders", "GET /api/folders"),
            ("search", "GET /api/search, a word in 0.1% of files"),
            ("deep_page", "GET /api/files past 49,950 files (cursor)"),
        ]
    },
    "tus_vs_multipart": Goal(">=", 0.8, "", "1 GiB through tus in 32 MiB PATCHes / POST /api/upload"),
    "tus_rss_growth_mib": Goal("<=", 50, "MiB", "server peak RSS growth during the 1 GiB tus upload"),
    "zip_vs_raw": Goal(
        ">=", 0.70, "", "folder ZIP of 2,000 files (1 GiB) throughput / the same bytes as one file"
    ),
    "zip_rss_growth_mib": Goal("<=", 50, "MiB", "server peak RSS growth while the ZIP streams"),
    "s3_upload_vs_direct": Goal(
        ">=", 0.6, "", "POST /api/upload into S3 throughput / obstore put straight into the same server"
    ),
    "s3_upload_vs_direct_media": Goal(
        ">=",
        0.6,
        "",
        "the same with an MP4-headed file (a video: its poster and duration are extracted at upload)",
    ),
    "s3_download_vs_direct": Goal(">=", 0.7, "", "download from S3 through the API / obstore get"),
    "s3_range_latency_vs_direct": Goal(
        "<=", 2.0, "", "median 1 MiB Range read through the API / a direct ranged GET"
    ),
    "pg_search_vs_raw": Goal(
        "<=", 3.0, "", "median GET /api/search on PostgreSQL, 100k files / the raw ranked SQL"
    ),
}


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the value at or above pct% of the samples)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < pct <= 100:
        raise ValueError("pct must be in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(pct / 100 * len(ordered))
    return float(ordered[rank - 1])


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def throughput_mib_s(size_bytes: int, seconds: float) -> float:
    if seconds <= 0:
        raise ValueError("a transfer takes some time")
    return size_bytes / MIB / seconds


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def alternate(rounds: int, a: Callable[[], T] | None, b: Callable[[], T]) -> tuple[list[T], list[T]]:
    """Run A and B once per round, swapping which goes first every round; B alone when A is None."""
    results_a: list[T] = []
    results_b: list[T] = []
    for index in range(rounds):
        if a is not None and index % 2 == 0:
            results_a.append(a())
        results_b.append(b())
        if a is not None and index % 2 == 1:
            results_a.append(a())
    return results_a, results_b


def median_or_none(values: Sequence[float]) -> float | None:
    return median(values) if values else None
