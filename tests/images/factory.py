"""Real image files made with Pillow for the imaging tests."""

import struct
import zlib
from pathlib import Path
from typing import Any

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from app.imaging.render import render
from app.imaging.thumbnails import make_thumbnails

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 255, 0)


def marked_corner(size: tuple[int, int] = (600, 400), mode: str = "RGB") -> Image.Image:
    """A blue image whose top-left quarter is red, to see where a rotation puts that corner."""
    im = Image.new("RGB", size, BLUE)
    im.paste(RED, (0, 0, size[0] // 2, size[1] // 2))
    return im if mode == "RGB" else im.convert(mode)


def camera_exif(*, orientation: int = 1) -> Image.Exif:
    """EXIF as a camera writes it, with GPS in the southern and western hemispheres."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R5"
    exif[0x0112] = orientation
    photo = exif.get_ifd(0x8769)
    photo[0x9003] = "2024:05:06 07:08:09"  # DateTimeOriginal
    photo[0x9011] = "+02:00"  # OffsetTimeOriginal
    photo[0x829A] = IFDRational(1, 250)  # ExposureTime
    photo[0x829D] = IFDRational(28, 10)  # FNumber
    photo[0x8827] = 400  # ISO
    photo[0x920A] = IFDRational(50, 1)  # FocalLength
    photo[0xA434] = "RF 50mm F1.8"  # LensModel
    photo[0x927C] = b"\x00\x01binary maker note"
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (IFDRational(48), IFDRational(51), IFDRational(3000, 100))
    gps[3] = "W"
    gps[4] = (IFDRational(2), IFDRational(17), IFDRational(402, 10))
    return exif


def save(im: Image.Image, path: Path, **params: Any) -> Path:
    im.save(path, **params)
    return path


def png_declaring(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunks)
    return path


def truncated(path: Path, keep: float = 0.5) -> Path:
    """Cut the file at `path` to the first `keep` share of its bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def noisy(size: tuple[int, int]) -> Image.Image:
    """A photo-like image (noise over gradients) so JPEG files have realistic detail."""
    base = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40).convert("L")
    return Image.merge("RGB", (base, noise, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


def write_thumbnails(source: Path, targets: dict[str, Path], **options: Any) -> None:
    """`make_thumbnails` with each size written to its path (the store does this in the app)."""
    for name, data in make_thumbnails(source, list(targets), **options).items():
        targets[name].write_bytes(data)


def render_to(source: Path, target: Path, **options: Any) -> None:
    target.write_bytes(render(source, **options))


def colour_at(im: Image.Image, fx: float, fy: float) -> tuple[int, ...]:
    """The RGB colour at a point given as fractions of the width and height."""
    pixel = im.convert("RGB").getpixel((int(im.width * fx), int(im.height * fy)))
    assert isinstance(pixel, tuple)
    return pixel


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 30) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))
