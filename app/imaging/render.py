"""Renditions: resize (never enlarge), centred crop for `cover`, convert, optional watermark."""

import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from PIL import Image

from app.imaging.decode import (
    ImageError,
    ImageSource,
    apply_orientation,
    decode,
    displayed_size,
    open_image,
    read_orientation,
    save_image,
    to_output_mode,
    to_srgb,
)
from app.imaging.watermark import WATERMARK_POSITIONS, Watermark, WatermarkPosition, apply_watermark

__all__ = [
    "MAX_RENDER_EDGE",
    "RENDER_MEDIA_TYPES",
    "WATERMARK_POSITIONS",
    "Fit",
    "ImageError",
    "RenderFormat",
    "Watermark",
    "WatermarkPosition",
    "apply_watermark",
    "render",
]

Fit = Literal["contain", "cover"]
RenderFormat = Literal["jpeg", "png", "webp", "avif"]
MAX_RENDER_EDGE = 4096
RENDER_MEDIA_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
}
RESAMPLE = Image.Resampling.LANCZOS  # renditions are cached: worth the sharper filter
REDUCING_GAP = 3.0


@dataclass(frozen=True)
class Plan:
    """What to take from the displayed image (a centred `crop` size) and the `out` size."""

    crop: tuple[float, float]
    out: tuple[int, int]


def render(
    source: ImageSource,
    *,
    width: int | None,
    height: int | None,
    fit: Fit = "contain",
    fmt: RenderFormat = "jpeg",
    quality: int = 85,
    watermark: Watermark | None = None,
) -> bytes:
    """`source` resized to fit (`contain`) or fill (`cover`) width x height as `fmt`."""
    check_request(width, height, fit, fmt, quality)
    with open_image(source) as im:
        orientation = read_orientation(im)
        icc_profile = im.info.get("icc_profile")
        plan = plan_rendition(displayed_size(im.size, orientation), width, height, fit)
        if orientation in (5, 6, 7, 8):  # work in the file's own orientation, turn at the end
            plan = Plan((plan.crop[1], plan.crop[0]), (plan.out[1], plan.out[0]))
        full, scale = im.size, plan.out[0] / plan.crop[0]
        pixels, box = decode(im, (math.ceil(full[0] * scale), math.ceil(full[1] * scale)))
        crop_box = centred(box, plan.crop, full)
        resized = pixels.resize(plan.out, RESAMPLE, box=crop_box, reducing_gap=REDUCING_GAP)
    out = apply_orientation(to_srgb(resized, icc_profile), orientation)
    if watermark is not None:
        out = apply_watermark(out, watermark)
    return encode(out, fmt, quality)


def check_request(width: int | None, height: int | None, fit: str, fmt: str, quality: int) -> None:
    """Refuse arguments the router should already have refused."""
    for edge in (width, height):
        if edge is not None and not 1 <= edge <= MAX_RENDER_EDGE:
            raise ValueError(f"width and height must be between 1 and {MAX_RENDER_EDGE}")
    if fit not in get_args(Fit):
        raise ValueError(f"fit must be one of {', '.join(get_args(Fit))}")
    if fmt not in RENDER_MEDIA_TYPES:
        raise ValueError(f"format must be one of {', '.join(RENDER_MEDIA_TYPES)}")
    if not 1 <= quality <= 100:
        raise ValueError("quality must be between 1 and 100")


def plan_rendition(shown: tuple[int, int], width: int | None, height: int | None, fit: str) -> Plan:
    """The crop and output size for an image displayed at `shown`; never larger than the source."""
    src_w, src_h = shown
    if fit == "cover" and width is not None and height is not None:
        aspect = width / height
        crop = (src_h * aspect, float(src_h)) if src_w / src_h > aspect else (float(src_w), src_w / aspect)
        scale = min(width / crop[0], 1.0)
    else:
        crop = (float(src_w), float(src_h))
        scale = min(width / src_w if width else 1.0, height / src_h if height else 1.0, 1.0)
    return Plan(crop, (max(1, round(crop[0] * scale)), max(1, round(crop[1] * scale))))


def centred(
    box: tuple[float, float, float, float], crop: tuple[float, float], full: tuple[int, int]
) -> tuple[float, float, float, float]:
    """The centred `crop` (in full-size pixels) as a box in the decoded (maybe drafted) pixels."""
    left, top, right, bottom = box
    scale_x, scale_y = (right - left) / full[0], (bottom - top) / full[1]
    margin_x, margin_y = (full[0] - crop[0]) / 2 * scale_x, (full[1] - crop[1]) / 2 * scale_y
    return (left + margin_x, top + margin_y, right - margin_x, bottom - margin_y)


def encode(im: Image.Image, fmt: str, quality: int) -> bytes:
    """Save in the requested format without metadata; JPEG progressive and optimised."""
    params: dict[str, Any]
    if fmt == "jpeg":
        im = to_output_mode(im, alpha=False)
        params = {"quality": quality, "progressive": True, "optimize": True}
    elif fmt == "png":
        params = {"compress_level": 6}
    elif fmt == "webp":
        params = {"quality": quality, "method": 4}
    else:
        params = {"quality": quality, "speed": 8}
    if fmt != "jpeg":
        im = to_output_mode(im, alpha=True)
    return save_image(im, fmt.upper(), **params)
