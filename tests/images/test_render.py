from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from app.imaging.render import (
    MAX_RENDER_EDGE,
    RENDER_MEDIA_TYPES,
    ImageError,
    Watermark,
    apply_watermark,
)
from tests.images.factory import (
    BLUE,
    RED,
    camera_exif,
    colour_at,
    marked_corner,
    near,
    noisy,
    png_declaring,
    render_to,
    save,
    truncated,
    write_thumbnails,
)


def rendered(source: Path, **options: Any) -> Image.Image:
    fmt = options.setdefault("fmt", "jpeg")
    options.setdefault("quality", 85)
    options.setdefault("fit", "contain")
    target = source.with_name(f"out.{fmt}")
    render_to(source, target, **options)
    im = Image.open(target)
    im.load()
    return im


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return save(marked_corner((600, 400)), tmp_path / "photo.jpg", exif=camera_exif(), quality=95)


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [(300, 300, (300, 200)), (300, None, (300, 200)), (None, 100, (150, 100)), (1000, 1000, (600, 400))],
)
def test_contain_fits_inside_never_enlarged(
    photo: Path, width: int | None, height: int | None, size: tuple[int, int]
) -> None:
    assert rendered(photo, width=width, height=height, fit="contain").size == size


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [(300, 300, (300, 300)), (200, 50, (200, 50)), (50, 400, (50, 400)), (900, 900, (400, 400))],
)
def test_cover_fills_exactly_with_a_centred_crop(
    photo: Path, width: int, height: int, size: tuple[int, int]
) -> None:
    out = rendered(photo, width=width, height=height, fit="cover")
    assert out.size == size


def test_cover_crop_is_centred(tmp_path: Path) -> None:
    im = Image.new("RGB", (600, 200), BLUE)
    im.paste(RED, (200, 0, 400, 200))  # the middle third is red
    out = rendered(save(im, tmp_path / "wide.png"), width=100, height=100, fit="cover", fmt="png")
    assert out.size == (100, 100)
    assert near(colour_at(out, 0.02, 0.5), RED)
    assert near(colour_at(out, 0.98, 0.5), RED)


def test_orientation_is_applied(tmp_path: Path) -> None:
    source = save(marked_corner((600, 400)), tmp_path / "o.jpg", exif=camera_exif(orientation=6), quality=95)
    out = rendered(source, width=200, height=300, fit="cover")
    assert out.size == (200, 300)
    assert near(colour_at(out, 0.9, 0.1), RED)
    assert near(colour_at(out, 0.1, 0.9), BLUE)


def test_draft_decoding_keeps_the_whole_picture(tmp_path: Path) -> None:
    # 3001 is not a multiple of the DCT scale: the padding must not shift or stretch the picture.
    source = save(marked_corner((3001, 2001)), tmp_path / "big.jpg", quality=95)
    out = rendered(source, width=300, height=300, fit="contain", fmt="png")
    assert out.size == (300, 200)
    assert near(colour_at(out, 0.49, 0.49), RED)
    assert near(colour_at(out, 0.51, 0.51), BLUE)


@pytest.mark.parametrize("fmt", sorted(RENDER_MEDIA_TYPES))
def test_formats_without_metadata(photo: Path, fmt: str) -> None:
    out = rendered(photo, width=300, height=300, fit="cover", fmt=fmt)
    assert out.format == {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}[fmt]
    assert out.size == (300, 300)
    assert not out.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(out.info)
    assert b"Canon" not in photo.with_name(f"out.{fmt}").read_bytes()
    assert near(colour_at(out, 0.1, 0.1), RED, tolerance=40)


def test_jpeg_is_progressive(photo: Path) -> None:
    out = rendered(photo, width=300, height=None, fmt="jpeg")
    assert out.info.get("progressive") == 1


def test_transparency_flattened_for_jpeg_kept_for_png(tmp_path: Path) -> None:
    source = save(Image.new("RGBA", (600, 400), (0, 0, 0, 0)), tmp_path / "clear.png")
    jpeg = rendered(source, width=100, height=None, fmt="jpeg")
    assert near(colour_at(jpeg, 0.5, 0.5), (255, 255, 255))
    png = rendered(source, width=100, height=None, fmt="png")
    assert png.mode == "RGBA"
    assert png.getpixel((50, 30)) == (0, 0, 0, 0)


def test_quality_changes_the_bytes(tmp_path: Path) -> None:
    source = save(noisy((600, 400)), tmp_path / "n.png")
    render_to(source, tmp_path / "low.jpg", width=600, height=400, fit="contain", fmt="jpeg", quality=20)
    render_to(source, tmp_path / "high.jpg", width=600, height=400, fit="contain", fmt="jpeg", quality=95)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size / 2


@pytest.mark.parametrize(
    "options",
    [
        {"width": 0, "height": 10},
        {"width": MAX_RENDER_EDGE + 1, "height": 10},
        {"width": 10, "height": MAX_RENDER_EDGE + 1},
        {"width": 10, "height": 10, "fit": "stretch"},
        {"width": 10, "height": 10, "fmt": "gif"},
        {"width": 10, "height": 10, "quality": 0},
        {"width": 10, "height": 10, "quality": 101},
    ],
)
def test_bad_arguments_are_refused(photo: Path, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        rendered(photo, **options)
    assert not photo.with_name("out.jpeg").exists()


def test_unreadable_and_bomb(tmp_path: Path) -> None:
    cut = truncated(save(noisy((600, 400)), tmp_path / "cut.jpg", quality=90))
    with pytest.raises(ImageError) as unreadable:
        render_to(cut, tmp_path / "o.jpg", width=100, height=100, fit="cover", fmt="jpeg", quality=80)
    assert unreadable.value.code == "image_unreadable"
    bomb = png_declaring(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(ImageError) as too_large:
        render_to(bomb, tmp_path / "o.jpg", width=100, height=100, fit="cover", fmt="jpeg", quality=80)
    assert too_large.value.code == "image_too_large"
    assert not (tmp_path / "o.jpg").exists()


# Watermarks


def changed_share(before: Image.Image, after: Image.Image, box: tuple[float, float, float, float]) -> float:
    """The share of pixels inside `box` (fractions of the size) that differ."""
    w, h = before.size
    region = (int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h))
    diff = ImageChops.difference(before.convert("RGB").crop(region), after.convert("RGB").crop(region))
    mask = diff.convert("L").point(lambda v: 255 if v > 8 else 0)
    histogram = mask.histogram()
    return histogram[255] / max(1, sum(histogram))


QUADRANTS = {
    "top-left": (0, 0, 0.5, 0.5),
    "top-right": (0.5, 0, 1, 0.5),
    "bottom-left": (0, 0.5, 0.5, 1),
    "bottom-right": (0.5, 0.5, 1, 1),
}


@pytest.mark.parametrize("position", sorted(QUADRANTS))
def test_watermark_lands_in_its_corner(position: str) -> None:
    base = Image.new("RGB", (600, 400), (90, 90, 90))
    marked = apply_watermark(base, Watermark("© Atrium", opacity=1.0, position=position))  # type: ignore[arg-type]
    assert marked.size == base.size
    assert marked.mode == "RGB"
    for quadrant, box in QUADRANTS.items():
        share = changed_share(base, marked, box)
        assert (share > 0.005) is (quadrant == position), (quadrant, share)


def test_watermark_centre_and_tiled() -> None:
    base = Image.new("RGB", (600, 400), (90, 90, 90))
    centre = apply_watermark(base, Watermark("Atrium", opacity=1.0, position="center"))
    assert changed_share(base, centre, (0.35, 0.4, 0.65, 0.6)) > 0.02
    assert changed_share(base, centre, (0, 0, 0.2, 0.2)) == 0
    tiled = apply_watermark(base, Watermark("Atrium", opacity=1.0, position="tiled"))
    assert all(changed_share(base, tiled, box) > 0.01 for box in QUADRANTS.values())


def test_watermark_opacity() -> None:
    base = Image.new("RGB", (600, 400), (90, 90, 90))
    invisible = apply_watermark(base, Watermark("Atrium", opacity=0.0, position="center"))
    assert ImageChops.difference(base, invisible).getbbox() is None
    faint = apply_watermark(base, Watermark("Atrium", opacity=0.2, position="center"))
    strong = apply_watermark(base, Watermark("Atrium", opacity=1.0, position="center"))
    faint_extrema = ImageChops.difference(base, faint).convert("L").getextrema()
    strong_extrema = ImageChops.difference(base, strong).convert("L").getextrema()
    assert isinstance(faint_extrema[1], int)
    assert isinstance(strong_extrema[1], int)
    assert 0 < faint_extrema[1] < strong_extrema[1]


def test_watermark_scales_with_the_image() -> None:
    small = Image.new("RGB", (300, 200), (90, 90, 90))
    large = Image.new("RGB", (1200, 800), (90, 90, 90))
    mark = Watermark("Atrium", opacity=1.0, position="center")
    small_box = ImageChops.difference(small, apply_watermark(small, mark)).getbbox()
    large_box = ImageChops.difference(large, apply_watermark(large, mark)).getbbox()
    assert small_box is not None
    assert large_box is not None
    assert (large_box[2] - large_box[0]) == pytest.approx(4 * (small_box[2] - small_box[0]), rel=0.2)


def test_watermark_keeps_alpha() -> None:
    base = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    marked = apply_watermark(base, Watermark("Atrium", opacity=1.0, position="center"))
    assert marked.mode == "RGBA"
    assert marked.getpixel((5, 5)) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "arguments",
    [
        {"text": "x", "opacity": 1.5},
        {"text": "x", "opacity": -0.1},
        {"text": "x", "position": "middle"},
        {"text": "  "},
        {"text": "x" * 201},
    ],
)
def test_watermark_is_validated(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="watermark"):
        Watermark(**arguments)


def test_render_with_watermark(photo: Path) -> None:
    plain = rendered(photo, width=300, height=200, fit="contain", fmt="png")
    mark = Watermark("Atrium", 1.0)
    marked = rendered(photo, width=300, height=200, fit="contain", fmt="png", watermark=mark)
    assert changed_share(plain, marked, QUADRANTS["bottom-right"]) > 0.005
    assert changed_share(plain, marked, QUADRANTS["top-left"]) == 0


def test_thumbnails_with_watermark(tmp_path: Path) -> None:
    source = save(Image.new("RGB", (600, 400), (90, 90, 90)), tmp_path / "g.png")
    write_thumbnails(source, {"small": tmp_path / "plain.webp"})
    mark = Watermark("Atrium", 1.0, "top-left")
    write_thumbnails(source, {"small": tmp_path / "marked.webp"}, watermark=mark)
    plain, marked = Image.open(tmp_path / "plain.webp"), Image.open(tmp_path / "marked.webp")
    assert changed_share(plain, marked, QUADRANTS["top-left"]) > 0.005
    assert changed_share(plain, marked, QUADRANTS["bottom-right"]) < 0.001
