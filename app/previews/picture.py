"""The preview image of a rendered page or a video frame: a small WebP, like the image thumbnails
(same quality and libwebp method as app.imaging.thumbnails, not imported: the child starts lean)."""

import io

from PIL import Image

from app.previews.found import PREVIEW_EDGE

QUALITY = 80
WEBP_METHOD = 2


def preview_webp(image: Image.Image) -> bytes:
    """`image` shrunk to fit PREVIEW_EDGE, as RGB(A) WebP without metadata."""
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE), Image.Resampling.BICUBIC, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=QUALITY, method=WEBP_METHOD)
    return out.getvalue()


def render_scale(width: float, height: float, *, edge: int = 2 * PREVIEW_EDGE) -> float:
    """The scale that draws a `width` x `height` page with its longest side `edge` pixels: a page
    200,000 points wide is drawn as small as an A4 one."""
    return edge / max(width, height, 1.0)
