"""A text watermark drawn with Pillow's bundled font, scaled to the image it marks."""

from dataclasses import dataclass
from typing import Literal, get_args

from PIL import Image, ImageDraw, ImageFont

WatermarkPosition = Literal["center", "bottom-right", "bottom-left", "top-right", "top-left", "tiled"]
WATERMARK_POSITIONS: tuple[str, ...] = get_args(WatermarkPosition)

# Text height as a share of the image's shorter side, and the margin as a share of the text height.
TEXT_SHARE = 0.06
MIN_FONT_SIZE = 10
MARGIN_SHARE = 0.6
MAX_TEXT_LENGTH = 200


@dataclass(frozen=True)
class Watermark:
    """`text` drawn at `position` with `opacity` from 0 (invisible) to 1 (opaque)."""

    text: str
    opacity: float = 0.5
    position: WatermarkPosition = "bottom-right"

    def __post_init__(self) -> None:
        if not 0 <= self.opacity <= 1:
            raise ValueError("watermark opacity must be between 0 and 1")
        if self.position not in WATERMARK_POSITIONS:
            raise ValueError(f"watermark position must be one of {', '.join(WATERMARK_POSITIONS)}")
        if not self.text.strip() or len(self.text) > MAX_TEXT_LENGTH:
            raise ValueError(f"watermark text must have 1 to {MAX_TEXT_LENGTH} characters")


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def apply_watermark(image: Image.Image, watermark: Watermark) -> Image.Image:
    """A copy of `image` with the watermark drawn on it, in RGB or RGBA."""
    base = image.convert("RGBA")
    font = ImageFont.load_default(size=max(MIN_FONT_SIZE, round(min(base.size) * TEXT_SHARE)))
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    alpha = round(255 * watermark.opacity)
    for xy in text_origins(base.size, text_box(draw, watermark.text, font), watermark.position):
        draw.text(
            xy,
            watermark.text,
            font=font,
            fill=(255, 255, 255, alpha),
            stroke_width=max(1, font_height(font) // 12),
            stroke_fill=(0, 0, 0, alpha),
        )
    marked = Image.alpha_composite(base, overlay)
    return marked if image.has_transparency_data else marked.convert("RGB")


def font_height(font: Font) -> int:
    """The font's nominal size in pixels."""
    return int(getattr(font, "size", 10))


def text_box(draw: ImageDraw.ImageDraw, text: str, font: Font) -> tuple[int, int, int, int]:
    """The text's bounding box relative to its drawing origin, stroke included."""
    stroke = max(1, font_height(font) // 12)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
    return int(left), int(top), int(right), int(bottom)


def text_origins(
    size: tuple[int, int], box: tuple[int, int, int, int], position: str
) -> list[tuple[int, int]]:
    """Where to draw the text (origins) so its box lands at `position` inside `size`."""
    width, height = size
    left, top, right, bottom = box
    text_w, text_h = right - left, bottom - top
    margin = round((bottom - top) * MARGIN_SHARE)
    if position == "tiled":
        step_x, step_y = text_w + 2 * margin, text_h + 3 * margin
        return [
            (x - left + (row % 2) * step_x // 2, y - top)
            for row, y in enumerate(range(margin, height, step_y))
            for x in range(margin - step_x // 2, width, step_x)
        ]
    vertical, _, horizontal = position.rpartition("-")
    x = {"left": margin, "right": width - margin - text_w}.get(horizontal, (width - text_w) // 2)
    y = {"top": margin, "bottom": height - margin - text_h}.get(vertical, (height - text_h) // 2)
    return [(x - left, y - top)]
