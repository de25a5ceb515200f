from pathlib import Path

import pytest
from PIL import Image

from app.imaging.thumbnails import (
    THUMBNAIL_FORMAT,
    THUMBNAIL_MEDIA_TYPE,
    THUMBNAIL_SIZES,
    ImageError,
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
    save,
    truncated,
    write_thumbnails,
)


def targets_in(directory: Path, *names: str) -> dict[str, Path]:
    return {name: directory / f"{name}.webp" for name in names or THUMBNAIL_SIZES}


def test_interface_constants() -> None:
    assert THUMBNAIL_SIZES == {"small": 256, "medium": 1024, "large": 2048}
    assert (THUMBNAIL_FORMAT, THUMBNAIL_MEDIA_TYPE) == ("webp", "image/webp")


def test_three_sizes_from_a_large_jpeg(tmp_path: Path) -> None:
    source = save(marked_corner((3000, 2000)), tmp_path / "photo.jpg", quality=85)
    targets = targets_in(tmp_path)
    write_thumbnails(source, targets)
    sizes = {}
    for name, path in targets.items():
        with Image.open(path) as thumb:
            assert thumb.format == "WEBP"
            sizes[name] = thumb.size
            assert near(colour_at(thumb, 0.45, 0.45), RED)
            assert near(colour_at(thumb, 0.55, 0.55), BLUE)
    assert sizes == {"large": (2048, 1365), "medium": (1024, 683), "small": (256, 171)}


def test_never_upscaled(tmp_path: Path) -> None:
    source = save(marked_corner((600, 400)), tmp_path / "small.png")
    targets = targets_in(tmp_path)
    write_thumbnails(source, targets)
    assert Image.open(targets["large"]).size == (600, 400)
    assert Image.open(targets["medium"]).size == (600, 400)
    assert Image.open(targets["small"]).size == (256, 171)


def test_only_requested_sizes_are_written(tmp_path: Path) -> None:
    source = save(marked_corner(), tmp_path / "a.png")
    write_thumbnails(source, {"small": tmp_path / "s.webp"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "s.webp"]


def test_unknown_size_name_is_a_caller_bug(tmp_path: Path) -> None:
    source = save(marked_corner(), tmp_path / "a.png")
    with pytest.raises(ValueError, match="huge"):
        write_thumbnails(source, {"huge": tmp_path / "h.webp"})


@pytest.mark.parametrize(
    ("orientation", "corner"),
    [(1, (0.1, 0.1)), (3, (0.9, 0.9)), (6, (0.9, 0.1)), (8, (0.1, 0.9))],
)
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, corner: tuple[float, float]) -> None:
    exif = camera_exif(orientation=orientation)
    source = save(marked_corner((600, 400)), tmp_path / "o.jpg", exif=exif, quality=95)
    targets = targets_in(tmp_path, "small", "large")
    write_thumbnails(source, targets)
    swapped = orientation in (6, 8)
    with Image.open(targets["large"]) as large, Image.open(targets["small"]) as small:
        assert large.size == ((400, 600) if swapped else (600, 400))
        assert small.size == ((171, 256) if swapped else (256, 171))
        for thumb in (large, small):
            assert near(colour_at(thumb, *corner), RED), thumb.size
            assert near(colour_at(thumb, 1 - corner[0], 1 - corner[1]), BLUE)


def test_all_metadata_is_stripped(tmp_path: Path) -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    source = save(
        marked_corner(), tmp_path / "meta.jpg", exif=camera_exif(orientation=6), xmp=xmp, comment=b"secret"
    )
    assert Image.open(source).getexif()  # the source does carry EXIF
    targets = targets_in(tmp_path)
    write_thumbnails(source, targets)
    for path in targets.values():
        data = path.read_bytes()
        for chunk in (b"EXIF", b"XMP ", b"ICCP", b"Canon", b"secret"):
            assert chunk not in data, (path.name, chunk)
        with Image.open(path) as thumb:
            assert not thumb.getexif()
            assert not {"exif", "xmp", "icc_profile", "comment"} & set(thumb.info)


def test_truncated_jpeg_is_unreadable(tmp_path: Path) -> None:
    source = truncated(save(noisy((600, 400)), tmp_path / "cut.jpg", quality=90))
    targets = targets_in(tmp_path)
    with pytest.raises(ImageError) as caught:
        write_thumbnails(source, targets)
    assert caught.value.code == "image_unreadable"
    assert not any(path.exists() for path in targets.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.jpg"]


def test_truncated_png_is_unreadable(tmp_path: Path) -> None:
    source = truncated(save(noisy((600, 400)), tmp_path / "cut.png"), keep=0.6)
    with pytest.raises(ImageError) as caught:
        write_thumbnails(source, targets_in(tmp_path))
    assert caught.value.code == "image_unreadable"


def test_not_an_image_is_unreadable(tmp_path: Path) -> None:
    source = tmp_path / "notes.jpg"
    source.write_text("just text, not a picture\n" * 20)
    with pytest.raises(ImageError) as caught:
        write_thumbnails(source, targets_in(tmp_path))
    assert caught.value.code == "image_unreadable"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (15_000, 15_000)])
def test_decompression_bomb_is_too_large(tmp_path: Path, width: int, height: int) -> None:
    source = png_declaring(tmp_path / "bomb.png", width, height)
    with pytest.raises(ImageError) as caught:
        write_thumbnails(source, targets_in(tmp_path))
    assert caught.value.code == "image_too_large"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.png"]


def test_missing_source_is_not_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_thumbnails(tmp_path / "gone.jpg", targets_in(tmp_path))
