"""Inputs the bench makes for itself: a large incompressible file and a photo-like 24 MP JPEG."""

import os
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

PHOTO_SIZE = (6000, 4000)  # 24 megapixels, 3:2 like a camera sensor
CHUNK = 16 * 1024 * 1024


def make_blob(path: Path, size: int, *, header: bytes = b"") -> Path:
    """`size` bytes: `header` then random data, written in 16 MiB chunks."""
    with path.open("wb") as out:
        out.write(header)
        remaining = size - len(header)
        while remaining > 0:
            out.write(os.urandom(min(CHUNK, remaining)))
            remaining -= CHUNK
    return path


def make_photo(path: Path, *, seed: int = 1, size: tuple[int, int] = PHOTO_SIZE, quality: int = 90) -> Path:
    """Smooth gradients and soft shapes, plus sensor-like noise, saved as a JPEG."""
    rng = random.Random(seed)
    small = (size[0] // 4, size[1] // 4)
    base = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(small),
            Image.radial_gradient("L").resize(small),
            Image.linear_gradient("L").rotate(90 + rng.randint(-30, 30)).resize(small),
        ),
    )
    draw = ImageDraw.Draw(base)
    for _ in range(24):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        r = rng.randint(10, small[1] // 8)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(6)).resize(size, Image.Resampling.BICUBIC)
    noise = Image.merge("RGB", [Image.effect_noise(size, 12).convert("L") for _ in range(3)])
    photo = ImageChops.add(base, noise, scale=1.0, offset=-128)
    photo.save(path, "JPEG", quality=quality)
    return path
