"""Opening untrusted images safely, shared by thumbnails, metadata and renditions.

One pixel limit, one error type, one decode path: draft (DCT scaling) for JPEG, the first frame
of animations, every mode brought to L/LA/RGB/RGBA, colours converted to sRGB, orientation applied.
"""

import io
import math
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pillow_heif
from PIL import Image, ImageCms, features

ImageSource = Path | BinaryIO  # a file, or a seekable reader of the stored bytes
ImageErrorCode = Literal["image_unreadable", "image_too_large"]

MAX_PIXELS = 50_000_000
"""Images with more pixels are refused before decoding (a 24 MP photo is far below). A render
decodes the whole original, so this bounds what one request costs: ~50 MP is ~200 MB of RGBA."""

# The one place the process-wide Pillow limit is set. Pillow raises DecompressionBombError above
# twice this and only warns between 1x and 2x; `check_pixels` refuses those itself, so the warning
# would only be noise.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

pillow_heif.register_heif_opener()
if not features.check("avif") and hasattr(pillow_heif, "register_avif_opener"):
    pillow_heif.register_avif_opener()  # pragma: no cover - Pillow >= 11.3 reads AVIF itself

# Pillow's plugins raise any of these on malformed or truncated input.
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
    zlib.error,
)

ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
ORIENTATION_TAG = 0x0112


class ImageError(Exception):
    """An image that cannot be used: `code` is `image_unreadable` or `image_too_large`."""

    def __init__(self, code: ImageErrorCode = "image_unreadable", detail: str | None = None) -> None:
        self.code: ImageErrorCode = code
        self.detail = detail or code.replace("_", " ")
        super().__init__(self.detail)


def check_pixels(size: tuple[int, int]) -> None:
    """Refuse an image whose declared size exceeds the pixel limit, before any decoding."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError("image_unreadable", "image has no pixels")
    if width * height > MAX_PIXELS:
        raise ImageError("image_too_large", f"image of {width}x{height} pixels exceeds the limit")


@contextmanager
def open_image(source: ImageSource) -> Iterator[Image.Image]:
    """Open `source` lazily (header only); Pillow failures inside the block become `ImageError`."""
    try:
        with Image.open(source) as im:
            check_pixels(im.size)
            yield im
    except Image.DecompressionBombError as exc:
        raise ImageError("image_too_large", str(exc)) from exc
    except FileNotFoundError:
        raise  # a missing original is the server's problem, not a bad image
    except DECODE_ERRORS as exc:
        raise ImageError("image_unreadable", f"cannot decode image: {exc}") from exc


def read_orientation(im: Image.Image) -> int:
    """The EXIF orientation (1-8) of an opened image, 1 when absent or malformed."""
    try:
        value = im.getexif().get(ORIENTATION_TAG, 1)
    except DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def fit_within(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """`size` scaled so its longest side is at most `edge` (never enlarged)."""
    width, height = size
    scale = edge / max(width, height)
    if scale >= 1:
        return size
    return max(1, math.floor(width * scale + 0.5)), max(1, math.floor(height * scale + 0.5))


Box = tuple[float, float, float, float]


def decode(im: Image.Image, at_least: tuple[int, int]) -> tuple[Image.Image, Box]:
    """Decode the first frame, letting JPEG skip detail finer than `at_least` (raw orientation).

    Returns the pixels in a resizable mode and the box of them that holds the whole picture
    (DCT scaling may pad the last block).
    """
    box: Box = (0, 0, *im.size)
    if im.format == "JPEG" and at_least[0] < im.width and at_least[1] < im.height:
        drafted = im.draft(None, at_least)
        if drafted is not None:
            box = drafted[1]
    # `is_animated` peeks at the second frame only; `n_frames` would walk every frame of the file
    # (a GIF of a million tiny frames costs seconds), and only the first frame is ever shown.
    if getattr(im, "is_animated", False):
        im.seek(0)
    im.load()
    return to_resizable(im), box


def to_resizable(im: Image.Image) -> Image.Image:
    """Bring exotic modes to one that resamples well; keeps RGB/RGBA/L/LA/CMYK as they are."""
    mode = im.mode
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode in ("P", "PA"):
        return im.convert("RGBA" if im.has_transparency_data else "RGB")
    if mode.startswith(("I", "F")):
        return scale_to_8bit(im)
    if mode in ("La", "RGBa"):
        return im.convert(mode.upper())
    return im.convert("RGBA" if im.has_transparency_data else "RGB")


def scale_to_8bit(im: Image.Image) -> Image.Image:
    """Map 16-bit, 32-bit integer or float samples to L (a plain convert would clip at 255)."""
    wide = im.convert("F")
    low, high = wide.getextrema()
    assert isinstance(low, float | int)  # one band
    assert isinstance(high, float | int)
    if low >= 0 and high <= 1 and im.mode == "F":
        scale, offset = 255.0, 0.0
    elif low >= 0 and high <= 255:
        scale, offset = 1.0, 0.0
    elif low >= 0 and high <= 65535:
        scale, offset = 255 / 65535, 0.0
    else:
        span = float(high - low) if math.isfinite(high - low) and high > low else 1.0
        scale, offset = 255 / span, -float(low) * 255 / span
    return wide.point(lambda value: value * scale + offset).convert("L")


def to_srgb(im: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert to sRGB in L/LA/RGB/RGBA when an ICC profile (or CMYK) says the colours are other."""
    if icc_profile and im.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        converted = convert_profile(im, icc_profile)
        if converted is not None:
            return converted
    if im.mode == "CMYK":
        return im.convert("RGB")
    return im


def convert_profile(im: Image.Image, icc_profile: bytes) -> Image.Image | None:
    """Apply the embedded profile; None when it is unusable or does not fit the mode."""
    if im.mode in ("L", "LA"):
        return None  # a grey profile maps grey to grey; nothing to gain
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if im.mode != "CMYK" and "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        alpha = im.getchannel("A") if im.mode == "RGBA" else None
        base = im.convert("RGB") if alpha is not None else im
        # A fresh sRGB profile per call: LittleCMS profile handles are not shared across threads.
        srgb = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(base, source, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    assert converted is not None
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def apply_orientation(im: Image.Image, orientation: int) -> Image.Image:
    """Transpose pixels as the EXIF orientation says (what `ImageOps.exif_transpose` does)."""
    method = ORIENTATION_TRANSPOSE.get(orientation)
    return im.transpose(method) if method is not None else im


def displayed_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """Width and height once the orientation is applied."""
    return (size[1], size[0]) if orientation in SWAPPING_ORIENTATIONS else size


def to_output_mode(im: Image.Image, *, alpha: bool) -> Image.Image:
    """RGB, or RGBA when `alpha` is allowed and the image has some; alpha flattened on white."""
    if im.mode in ("RGBA", "LA"):
        if alpha:
            return im.convert("RGBA")
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im if im.mode == "RGB" else im.convert("RGB")


def save_image(im: Image.Image, image_format: str, **params: Any) -> bytes:
    """The encoded image, with no metadata."""
    im.info.clear()  # resize/convert copy info; some encoders default to it (icc, exif, comment)
    out = io.BytesIO()
    im.save(out, image_format, **params)
    return out.getvalue()
