"""Thumbnails: every requested size from one decode, orientation applied, metadata stripped.

Format: WebP. It keeps transparency (a JPEG thumbnail of a PNG logo would get a white box),
is about a third smaller than JPEG at the same quality, and every current browser shows it.
"""

from collections.abc import Collection

from PIL import Image

from app.imaging.decode import (
    Box,
    ImageError,
    ImageSource,
    apply_orientation,
    decode,
    displayed_size,
    fit_within,
    open_image,
    read_orientation,
    save_image,
    to_output_mode,
    to_srgb,
)
from app.imaging.watermark import Watermark, apply_watermark

__all__ = [
    "THUMBNAIL_FORMAT",
    "THUMBNAIL_MEDIA_TYPE",
    "THUMBNAIL_SIZES",
    "ImageError",
    "make_thumbnails",
]

THUMBNAIL_SIZES: dict[str, int] = {"small": 256, "medium": 1024, "large": 2048}
THUMBNAIL_FORMAT = "webp"
THUMBNAIL_MEDIA_TYPE = "image/webp"
THUMBNAIL_QUALITY = 80
# libwebp's method trades encode time for size: 0 is the fastest, 4 the default.
THUMBNAIL_WEBP_METHOD = 2
RESAMPLE = Image.Resampling.BICUBIC
# Pillow first box-reduces by whole factors while the remaining ratio stays above this gap.
# Large and medium: 1.0, so medium (exactly half of large) is a pure 2x box reduce, several
# times faster than bicubic and close in quality. Small is cheap: resample it fairly.
FAST_GAP = 1.0
FAIR_GAP = 3.0
FAST_GAP_FROM_EDGE = 1024


def make_thumbnails(
    source: ImageSource, sizes: Collection[str], *, watermark: Watermark | None = None
) -> dict[str, bytes]:
    """A WebP thumbnail of `source` for each size name in `sizes`, from one decode."""
    edges = sorted(((THUMBNAIL_SIZES[name], name) for name in check_names(sizes)), reverse=True)
    made: dict[str, bytes] = {}
    if not edges:
        return made
    with open_image(source) as im:
        full = im.size
        icc_profile = im.info.get("icc_profile")
        pixels, box = decode(im, fit_within(full, edges[0][0]))
        orientation = read_orientation(im)  # after decoding: PNG may carry EXIF after the pixels
        # The largest is made from the decoded pixels, each smaller one from the one before.
        current = shrink(pixels, fit_within(full, edges[0][0]), box=box, gap=FAST_GAP)
    current = to_output_mode(apply_orientation(to_srgb(current, icc_profile), orientation), alpha=True)
    for edge, name in edges:
        size = displayed_size(fit_within(full, edge), orientation)
        current = shrink(current, size, gap=FAST_GAP if edge >= FAST_GAP_FROM_EDGE else FAIR_GAP)
        made[name] = save_webp(current if watermark is None else apply_watermark(current, watermark))
    return made


def check_names(sizes: Collection[str]) -> list[str]:
    """The size names asked for; an unknown one is the caller's bug."""
    unknown = set(sizes) - set(THUMBNAIL_SIZES)
    if unknown:
        raise ValueError(f"unknown thumbnail sizes: {sorted(unknown)}")
    return list(sizes)


def shrink(im: Image.Image, size: tuple[int, int], *, gap: float, box: Box | None = None) -> Image.Image:
    """`im` (or its `box`) resized to `size`; unchanged when it already is that size."""
    if im.size == size and (box is None or box == (0, 0, *im.size)):
        return im
    return im.resize(size, RESAMPLE, box=box, reducing_gap=gap)


def save_webp(im: Image.Image) -> bytes:
    """One thumbnail, without metadata."""
    return save_image(im, "WEBP", quality=THUMBNAIL_QUALITY, method=THUMBNAIL_WEBP_METHOD)
