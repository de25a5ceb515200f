"""PDF previews and video posters: Atrium's bounded extraction child beside the command-line
tools doing the same work (`pdftoppm -r 36 -f 1 -l 1`, `ffmpeg -ss 1 -frames:v 1`).

Both sides pay a process start per file, as the server does: Atrium's child also reads the
text of every page (the server does it in the same child), so its figure is the whole job.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageChops

from bench.procs import run
from bench.report import Outcome, unmeasured
from bench.stats import median, ratio

PDF_PAGES = 20
VIDEO_SIZE = (1920, 1080)
VIDEO_SECONDS = 30
VIDEO_FPS = 30
REFERENCE_PACKAGES = {"pdftoppm": "poppler-utils", "ffmpeg": "ffmpeg"}


def make_pdf(path: Path, pages: int = PDF_PAGES) -> Path:
    """A text PDF of `pages` letter pages, a few hundred words each, with a correct xref table."""
    contents = []
    for index in range(pages):
        lines = [f"Page {index + 1} line {n}: the quick brown fox jumps over the lazy dog" for n in range(40)]
        text = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
        contents.append(f"BT /F1 11 Tf 56 740 Td {text} ET".encode())
    path.write_bytes(text_pdf(contents))
    return path


def text_pdf(contents: list[bytes], *, width: float = 612, height: float = 792) -> bytes:
    """A PDF with one page per content stream (Helvetica as /F1), with a correct xref table."""
    count = len(contents)
    font = 3 + 2 * count
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{3 + 2 * i} 0 R".encode() for i in range(count))
        + f"] /Count {count} >>".encode(),
    ]
    for index, content in enumerate(contents):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:g} {height:g}] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * index} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return assemble_pdf(objects)


def assemble_pdf(objects: list[bytes]) -> bytes:
    """Numbered objects, the cross-reference table and the trailer (object 1 is the catalog)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_video(path: Path, size: tuple[int, int] = VIDEO_SIZE, seconds: int = VIDEO_SECONDS) -> Path:
    """A 1080p H.264 MP4 (PyAV's bundled encoder), a moving gradient, a keyframe every 2 s."""
    import av

    base = Image.linear_gradient("L").resize(size).convert("RGB")
    with av.open(str(path), mode="w") as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=VIDEO_FPS)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.time_base = Fraction(1, VIDEO_FPS)
        stream.options = {"preset": "ultrafast", "g": str(2 * VIDEO_FPS)} if codec == "libx264" else {}
        for index in range(seconds * VIDEO_FPS):
            shifted = ImageChops.offset(base, index * 8, index * 2)  # every frame moves: real P-frames
            frame = av.VideoFrame.from_image(shifted)  # type: ignore[no-untyped-call]
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def ensure_references() -> dict[str, str | None]:
    """Each reference tool's path; installed from Debian when missing and root, else None."""
    missing = [package for tool, package in REFERENCE_PACKAGES.items() if shutil.which(tool) is None]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing], check=False, env=env, capture_output=True
        )
    return {tool: shutil.which(tool) for tool in REFERENCE_PACKAGES}


def timed_runs(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median milliseconds of each candidate, alternating their order round by round."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for index in range(rounds):
        order = list(candidates) if index % 2 == 0 else list(reversed(candidates))
        for name in order:
            start = time.perf_counter()
            candidates[name]()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: median(values) for name, values in times.items()}


def atrium_job(job: str, source: Path) -> Callable[[], object]:
    from app.previews.sandbox import run_isolated

    def extract() -> None:
        with source.open("rb") as handle:
            result = run_isolated(job, handle)
        if result is None or result.preview is None:
            raise RuntimeError(f"the {job} extraction made no preview")

    return extract


def measure_previews(work: Path, rounds: int) -> Outcome:
    work.mkdir(parents=True, exist_ok=True)
    tools = ensure_references()
    pdf = make_pdf(work / "twenty.pdf")
    video = make_video(work / "1080p.mp4")
    outcome = Outcome()
    pdf_candidates: dict[str, Callable[[], object]] = {"atrium": atrium_job("pdf", pdf)}
    if pdftoppm := tools["pdftoppm"]:
        command = [pdftoppm, "-r", "36", "-f", "1", "-l", "1", "-png", str(pdf), str(work / "pdftoppm")]
        pdf_candidates["pdftoppm"] = lambda: run(command)
    video_candidates: dict[str, Callable[[], object]] = {"atrium": atrium_job("video", video)}
    if ffmpeg := tools["ffmpeg"]:
        poster = [
            ffmpeg,
            "-v",
            "error",
            "-y",
            "-ss",
            "1",
            "-i",
            str(video),
            "-frames:v",
            "1",
            str(work / "f.png"),
        ]
        video_candidates["ffmpeg"] = lambda: run(poster)
    pdf_ms = timed_runs(pdf_candidates, rounds)
    video_ms = timed_runs(video_candidates, rounds)
    outcome.metrics["pdf_preview_ms"] = pdf_ms["atrium"]
    outcome.metrics["video_poster_ms"] = video_ms["atrium"]
    _compare(outcome, "pdf_preview_vs_pdftoppm", pdf_ms, "pdftoppm")
    _compare(outcome, "video_poster_vs_ffmpeg", video_ms, "ffmpeg")
    outcome.details["previews"] = {
        "pdf_pages": PDF_PAGES,
        "pdf_bytes": pdf.stat().st_size,
        "video": f"{VIDEO_SIZE[0]}x{VIDEO_SIZE[1]}, {VIDEO_SECONDS} s, {video.stat().st_size} bytes",
        "pdf_median_ms": pdf_ms,
        "video_median_ms": video_ms,
        "note": "atrium: one bounded child process per file (start, limits, decode, WebP); "
        "the PDF job also reads the text of all pages",
    }
    return outcome


def _compare(outcome: Outcome, key: str, medians: dict[str, float], reference: str) -> None:
    if reference in medians:
        outcome.metrics[key] = ratio(medians["atrium"], medians[reference])
    else:
        outcome.merge(
            unmeasured([key], f"{reference} is not installed (Debian: {REFERENCE_PACKAGES[reference]})")
        )
