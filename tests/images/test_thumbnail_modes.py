"""Every pixel mode and container gives a correct thumbnail: right colours, alpha kept."""

import io
import struct
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from tests.images.factory import BLUE, GREEN, RED, colour_at, marked_corner, near, save, write_thumbnails


def thumb_of(source: Path, size: str = "small") -> Image.Image:
    target = source.with_name(f"{source.stem}-{size}.webp")
    write_thumbnails(source, {size: target})
    thumb = Image.open(target)
    thumb.load()
    return thumb


def test_rgba_keeps_transparency(tmp_path: Path) -> None:
    im = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (0, 0, 300, 200))
    thumb = thumb_of(save(im, tmp_path / "a.png"))
    assert thumb.mode == "RGBA"
    assert thumb.getpixel((10, 10)) == pytest.approx((255, 0, 0, 255), abs=12)
    alpha = thumb.getpixel((thumb.width - 10, thumb.height - 10))
    assert isinstance(alpha, tuple)
    assert alpha[3] == 0


def test_palette_with_transparency(tmp_path: Path) -> None:
    im = Image.new("P", (600, 400), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.paste(1, (0, 0, 300, 200))
    source = save(im, tmp_path / "p.png", transparency=0)
    thumb = thumb_of(source)
    assert thumb.mode == "RGBA"
    assert near(colour_at(thumb, 0.1, 0.1), RED)
    corner = thumb.getpixel((thumb.width - 5, thumb.height - 5))
    assert isinstance(corner, tuple)
    assert corner[3] == 0


def test_palette_without_transparency(tmp_path: Path) -> None:
    source = save(marked_corner().convert("P"), tmp_path / "p.gif")
    thumb = thumb_of(source)
    assert thumb.mode == "RGB"
    assert near(colour_at(thumb, 0.1, 0.1), RED)
    assert near(colour_at(thumb, 0.9, 0.9), BLUE)


@pytest.mark.parametrize("mode", ["L", "LA", "1"])
def test_grey_modes(tmp_path: Path, mode: str) -> None:
    im = Image.new("L", (600, 400), 0)
    im.paste(255, (0, 0, 300, 200))
    source = save(im.convert(mode), tmp_path / "g.png")
    thumb = thumb_of(source)
    assert near(colour_at(thumb, 0.1, 0.1), (255, 255, 255))
    assert near(colour_at(thumb, 0.9, 0.9), (0, 0, 0))


def test_cmyk_tiff(tmp_path: Path) -> None:
    im = Image.new("CMYK", (600, 400), (255, 255, 0, 0))  # blue
    im.paste((0, 255, 255, 0), (0, 0, 300, 200))  # red
    thumb = thumb_of(save(im, tmp_path / "c.tif"))
    assert thumb.mode == "RGB"
    assert near(colour_at(thumb, 0.1, 0.1), RED)
    assert near(colour_at(thumb, 0.9, 0.9), BLUE)


def test_cmyk_jpeg(tmp_path: Path) -> None:
    im = Image.new("CMYK", (600, 400), (255, 255, 0, 0))
    im.paste((0, 255, 255, 0), (0, 0, 300, 200))
    thumb = thumb_of(save(im, tmp_path / "c.jpg", quality=95))
    assert near(colour_at(thumb, 0.1, 0.1), RED, tolerance=40)
    assert near(colour_at(thumb, 0.9, 0.9), BLUE, tolerance=40)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    im = Image.new("I;16", (600, 400), 16_384)  # a quarter of full scale: dark grey
    im.paste(65_535, (0, 0, 300, 200))
    source = save(im, tmp_path / "deep.png")
    assert Image.open(source).mode.startswith("I;16")
    thumb = thumb_of(source)
    assert near(colour_at(thumb, 0.9, 0.9), (64, 64, 64), tolerance=6)
    assert near(colour_at(thumb, 0.1, 0.1), (255, 255, 255), tolerance=6)


def test_32_bit_integer_tiff(tmp_path: Path) -> None:
    im = Image.new("I", (600, 400), 0)
    im.paste(1_000_000, (0, 0, 300, 200))
    thumb = thumb_of(save(im, tmp_path / "i.tif"))
    assert near(colour_at(thumb, 0.1, 0.1), (255, 255, 255), tolerance=6)
    assert near(colour_at(thumb, 0.9, 0.9), (0, 0, 0), tolerance=6)


def test_float_tiff_in_unit_range(tmp_path: Path) -> None:
    im = Image.new("F", (600, 400), 0.5)
    im.paste(1.0, (0, 0, 300, 200))
    thumb = thumb_of(save(im, tmp_path / "f.tif"))
    assert near(colour_at(thumb, 0.1, 0.1), (255, 255, 255), tolerance=6)
    assert near(colour_at(thumb, 0.9, 0.9), (128, 128, 128), tolerance=6)


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animation_gives_its_first_frame(tmp_path: Path, suffix: str) -> None:
    frames = [Image.new("RGB", (300, 200), colour) for colour in (RED, GREEN, BLUE)]
    source = tmp_path / f"anim{suffix}"
    frames[0].save(source, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(source).n_frames == 3
    thumb = thumb_of(source)
    assert getattr(thumb, "n_frames", 1) == 1
    assert near(colour_at(thumb, 0.5, 0.5), RED)


def test_heic(tmp_path: Path) -> None:
    source = save(marked_corner((640, 480)), tmp_path / "p.heic", format="HEIF", quality=90)
    thumb = thumb_of(source)
    assert thumb.size == (256, 192)
    assert near(colour_at(thumb, 0.1, 0.1), RED, tolerance=40)
    assert near(colour_at(thumb, 0.9, 0.9), BLUE, tolerance=40)


def icc(profile: str) -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile(profile)).tobytes()  # type: ignore[arg-type]


def swapped_primaries_profile() -> bytes:
    """An RGB profile that is not sRGB: sRGB with its red and blue primaries exchanged."""
    data = bytearray(icc("sRGB"))
    (count,) = struct.unpack(">I", data[128:132])
    entries = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"] + 4, entries[b"bXYZ"] + 4
    data[red : red + 8], data[blue : blue + 8] = data[blue : blue + 8], data[red : red + 8]
    renamed = bytes(data).replace("sRGB".encode("utf-16-be"), "swap".encode("utf-16-be"))
    return renamed.replace(b"sRGB", b"swap")


def test_foreign_icc_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    profile = swapped_primaries_profile()
    assert "srgb" not in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile))).lower()
    source = save(Image.new("RGB", (600, 400), (200, 120, 40)), tmp_path / "swap.png", icc_profile=profile)
    thumb = thumb_of(source)
    assert near(colour_at(thumb, 0.5, 0.5), (40, 120, 200), tolerance=6)
    assert "icc_profile" not in thumb.info


def test_foreign_icc_profile_with_alpha(tmp_path: Path) -> None:
    im = Image.new("RGBA", (600, 400), (200, 120, 40, 255))
    im.paste((0, 0, 0, 0), (300, 200, 600, 400))
    source = save(im, tmp_path / "swap.png", icc_profile=swapped_primaries_profile())
    thumb = thumb_of(source)
    assert thumb.mode == "RGBA"
    assert thumb.getpixel((10, 10)) == pytest.approx((40, 120, 200, 255), abs=6)
    corner = thumb.getpixel((thumb.width - 5, thumb.height - 5))
    assert isinstance(corner, tuple)
    assert corner[3] == 0


def test_unusable_icc_profile_is_ignored(tmp_path: Path) -> None:
    im = Image.new("RGB", (600, 400), (200, 120, 40))
    source = save(im, tmp_path / "junk.png", icc_profile=b"junk" * 40)
    assert near(colour_at(thumb_of(source), 0.5, 0.5), (200, 120, 40), tolerance=6)


def test_srgb_profile_keeps_colours_and_is_dropped(tmp_path: Path) -> None:
    colour = (200, 120, 40)
    im = Image.new("RGB", (600, 400), colour)
    source = save(im, tmp_path / "s.jpg", icc_profile=icc("sRGB"), quality=95)
    thumb = thumb_of(source)
    assert near(colour_at(thumb, 0.5, 0.5), colour, tolerance=6)
    assert "icc_profile" not in thumb.info
    assert b"ICCP" not in source.with_name("s-small.webp").read_bytes()
