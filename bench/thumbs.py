"""Three thumbnails of a 24 MP JPEG: Atrium's make_thumbnails, libvips, and naive Pillow."""

import importlib
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from PIL import Image

from bench.procs import run
from bench.report import Outcome, unmeasured
from bench.stats import median, ratio

SIZES = {"large": 2048, "medium": 1024, "small": 256}
DEFAULT_QUALITY = 80
EXTENSIONS = {"WEBP": "webp", "JPEG": "jpg", "PNG": "png", "AVIF": "avif"}


def load_thumbnails() -> ModuleType | None:
    try:
        return importlib.import_module("app.imaging.thumbnails")
    except ImportError:
        return None


def output_format(module: ModuleType | None) -> tuple[str, int, int | None]:
    """The project's thumbnail format, quality and WebP method (WebP 80 until the module exists)."""
    fmt = str(getattr(module, "THUMBNAIL_FORMAT", "WEBP")).upper()
    method = getattr(module, "THUMBNAIL_WEBP_METHOD", None) if fmt == "WEBP" else None
    return fmt, int(getattr(module, "THUMBNAIL_QUALITY", DEFAULT_QUALITY)), method


def vips_three(source: Path, out: Path, ext: str, options: str) -> None:
    """vipsthumbnail once per size, each from the original (shrink-on-load every time)."""
    for name, size in SIZES.items():
        run(["vipsthumbnail", str(source), "--size", str(size), "-o", f"{out}/vips_{name}.{ext}[{options}]"])


def vips_cascade(source: Path, out: Path, ext: str, options: str) -> None:
    """vipsthumbnail 2048 from the original, then each smaller size from the previous one."""
    previous = source
    for name, size in SIZES.items():
        target = out / f"cascade_{name}.{ext}"
        run(["vipsthumbnail", str(previous), "--size", str(size), "-o", f"{target}[{options}]"])
        previous = target


def pyvips_cascade(source: Path, out: Path, ext: str, options: Mapping[str, Any]) -> None:
    """libvips in-process: 2048 with shrink-on-load, then each smaller size from the one before."""
    import pyvips

    image = pyvips.Image.thumbnail(str(source), SIZES["large"]).copy_memory()
    for name, size in SIZES.items():
        if size != SIZES["large"]:
            image = image.thumbnail_image(size).copy_memory()
        image.write_to_file(str(out / f"pyvips_{name}.{ext}"), **options)


def pillow_naive(source: Path, out: Path, fmt: str, save_args: Mapping[str, Any]) -> None:
    """Open, decode everything, resize the full image three times."""
    with Image.open(source) as image:
        image.load()
        for name, size in SIZES.items():
            scale = size / max(image.size)
            resized = image.resize(
                (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
            )
            resized.save(out / f"naive_{name}.{EXTENSIONS.get(fmt, 'img')}", fmt, **save_args)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure_thumbs(photo: Path, work: Path, rounds: int) -> Outcome:
    module = load_thumbnails()
    make = getattr(module, "make_thumbnails", None)
    fmt, quality, method = output_format(module)
    ext = EXTENSIONS.get(fmt, fmt.lower())
    # The same encoder settings on every side: quality, and libwebp's method (vips calls it effort).
    vips_options = f"Q={quality},strip" + (f",effort={method}" if method is not None else "")
    save_args: dict[str, Any] = {"quality": quality} | ({"method": method} if method is not None else {})
    pyvips_options = {"Q": quality, "strip": True} | ({"effort": method} if method is not None else {})
    work.mkdir(parents=True, exist_ok=True)
    targets = {name: work / f"atrium_{name}.{ext}" for name in SIZES}
    candidates: dict[str, Callable[[], object]] = {
        "vips_three": lambda: vips_three(photo, work, ext, vips_options),
        "vips_cascade": lambda: vips_cascade(photo, work, ext, vips_options),
        "pillow_naive": lambda: pillow_naive(photo, work, fmt, save_args),
        "pyvips_cascade": lambda: pyvips_cascade(photo, work, ext, pyvips_options),
    }
    if make is not None:
        candidates["atrium"] = lambda: make(photo, targets)
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for index in range(rounds):
        order = list(candidates) if index % 2 == 0 else list(reversed(candidates))
        for name in order:
            times[name].append(timed(candidates[name]))
    medians = {name: median(values) for name, values in times.items()}
    reference = min(medians[name] for name in ("vips_three", "vips_cascade", "pyvips_cascade"))
    if make is not None:
        outcome = Outcome()
        outcome.metrics["thumbs_vs_vips"] = ratio(medians["atrium"], reference)
    else:
        reason = "app.imaging.thumbnails.make_thumbnails is not on this branch yet"
        outcome = unmeasured(["thumbs_vs_vips"], reason)
    outcome.details["thumbnails"] = {
        "format": fmt,
        "quality": quality,
        "webp_method": method,
        "photo_bytes": photo.stat().st_size,
        "median_ms": {name: value * 1000 for name, value in medians.items()},
        "naive_pillow_vs_vips": ratio(medians["pillow_naive"], reference),
        "atrium_bytes": {name: path.stat().st_size for name, path in targets.items() if path.exists()},
    }
    return outcome
