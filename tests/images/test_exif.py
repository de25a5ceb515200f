import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from app.imaging.exif import ImageError, ImageMetadata, read_metadata
from tests.images.factory import camera_exif, marked_corner, noisy, png_declaring, save, truncated


def test_reads_every_listed_field(tmp_path: Path) -> None:
    source = save(marked_corner((600, 400)), tmp_path / "cam.jpg", exif=camera_exif())
    meta = read_metadata(source)
    assert (meta.width, meta.height, meta.orientation) == (600, 400, 1)
    assert (meta.camera_make, meta.camera_model, meta.lens) == ("Canon", "EOS R5", "RF 50mm F1.8")
    assert meta.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2)))
    assert meta.exposure_time == pytest.approx(1 / 250)
    assert meta.f_number == pytest.approx(2.8)
    assert meta.iso == 400
    assert meta.focal_length == pytest.approx(50.0)


def test_gps_south_and_west_are_negative(tmp_path: Path) -> None:
    meta = read_metadata(save(marked_corner(), tmp_path / "gps.jpg", exif=camera_exif()))
    assert meta.gps_latitude == pytest.approx(-(48 + 51 / 60 + 30 / 3600), abs=1e-6)
    assert meta.gps_longitude == pytest.approx(-(2 + 17 / 60 + 40.2 / 3600), abs=1e-6)


def test_gps_north_and_east_are_positive(tmp_path: Path) -> None:
    exif = camera_exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[3] = "N", "E"
    meta = read_metadata(save(marked_corner(), tmp_path / "gps.jpg", exif=exif))
    assert meta.gps_latitude is not None
    assert meta.gps_latitude > 48
    assert meta.gps_longitude is not None
    assert meta.gps_longitude > 2


@pytest.mark.parametrize(("orientation", "size"), [(3, (600, 400)), (6, (400, 600)), (8, (400, 600))])
def test_size_is_as_displayed(tmp_path: Path, orientation: int, size: tuple[int, int]) -> None:
    source = save(marked_corner((600, 400)), tmp_path / "o.jpg", exif=camera_exif(orientation=orientation))
    meta = read_metadata(source)
    assert ((meta.width, meta.height), meta.orientation) == (size, orientation)


def test_taken_at_without_offset_is_utc(tmp_path: Path) -> None:
    exif = camera_exif()
    del exif.get_ifd(0x8769)[0x9011]
    meta = read_metadata(save(marked_corner(), tmp_path / "utc.jpg", exif=exif))
    assert meta.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert meta.taken_at.utcoffset() == timedelta(0)


def test_raw_exif_is_json_safe_and_named(tmp_path: Path) -> None:
    meta = read_metadata(save(marked_corner(), tmp_path / "raw.jpg", exif=camera_exif()))
    json.dumps(meta.exif, allow_nan=False)
    assert meta.exif["Make"] == "Canon"
    assert meta.exif["DateTimeOriginal"] == "2024:05:06 07:08:09"
    assert meta.exif["GPSInfo"]["GPSLatitudeRef"] == "S"
    assert "MakerNote" not in meta.exif  # binary
    assert "ExifOffset" not in meta.exif  # a pointer, not a value


def test_summary_lists_the_known_fields(tmp_path: Path) -> None:
    meta = read_metadata(save(marked_corner(), tmp_path / "s.jpg", exif=camera_exif()))
    summary = meta.summary()
    json.dumps(summary, allow_nan=False)
    assert summary["taken_at"] == "2024-05-06T07:08:09+02:00"
    assert summary["camera_make"] == "Canon"
    assert "width" not in summary
    assert "exif" not in summary


def test_image_without_exif(tmp_path: Path) -> None:
    meta = read_metadata(save(marked_corner((300, 200)), tmp_path / "plain.png"))
    assert meta == ImageMetadata(width=300, height=200)


def test_malformed_values_are_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    exif = camera_exif()
    exif[0x010F] = "X" * 20_000  # Make: huge
    exif[0x0131] = "Software\x00with\x07controls"
    photo = exif.get_ifd(0x8769)
    photo[0x829D] = IFDRational(28, 0)  # FNumber: zero denominator
    photo[0x8827] = "fast"  # ISO: wrong type
    photo[0x9003] = "0000:00:00 00:00:00"  # DateTimeOriginal: placeholder
    photo[0x9004] = "not a date"  # DateTimeDigitized
    photo[0x9286] = b"ASCII\x00\x00\x00" + b"\xff" * 5000  # UserComment: binary
    gps = exif.get_ifd(0x8825)
    gps[2] = (IFDRational(48, 0), IFDRational(0, 0), IFDRational(1, 0))
    source = save(marked_corner(), tmp_path / "bad.jpg", exif=exif)

    meta = read_metadata(source)

    assert (meta.camera_make, meta.f_number, meta.iso, meta.taken_at, meta.gps_latitude) == (None,) * 5
    assert meta.camera_model == "EOS R5"
    assert meta.exposure_time == pytest.approx(1 / 250)
    assert meta.gps_longitude is not None
    json.dumps(meta.exif, allow_nan=False)
    assert "Make" not in meta.exif
    assert "UserComment" not in meta.exif
    assert "FNumber" not in meta.exif
    assert meta.exif["Software"] == "Softwarewithcontrols"


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_block_never_raises(tmp_path: Path) -> None:
    source = tmp_path / "broken.jpg"
    marked_corner().save(source, exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x0f\x00\x02\xff\xff")
    meta = read_metadata(source)
    assert (meta.width, meta.height, meta.camera_make) == (600, 400, None)


def test_utf8_in_ascii_fields_is_decoded(tmp_path: Path) -> None:
    exif = camera_exif()
    exif[0x0110] = "Caméra".encode()  # UTF-8 bytes in an ASCII field, as phones write
    meta = read_metadata(save(marked_corner(), tmp_path / "u.jpg", exif=exif))
    assert meta.camera_model == "Caméra"


def test_reads_headers_only(tmp_path: Path) -> None:
    # The pixels are cut short: a full decode would fail, reading the headers does not.
    source = truncated(save(noisy((600, 400)), tmp_path / "cut.jpg", exif=camera_exif(), quality=90))
    meta = read_metadata(source)
    assert (meta.width, meta.height, meta.camera_make) == (600, 400, "Canon")


def test_png_exif_is_read(tmp_path: Path) -> None:
    source = save(marked_corner(), tmp_path / "e.png", exif=camera_exif(orientation=6))
    meta = read_metadata(source)
    assert (meta.width, meta.height, meta.camera_model) == (400, 600, "EOS R5")


def test_not_an_image(tmp_path: Path) -> None:
    source = tmp_path / "x.jpg"
    source.write_bytes(b"%PDF-1.4 not an image")
    with pytest.raises(ImageError) as caught:
        read_metadata(source)
    assert caught.value.code == "image_unreadable"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (15_000, 15_000)])
def test_decompression_bomb(tmp_path: Path, width: int, height: int) -> None:
    with pytest.raises(ImageError) as caught:
        read_metadata(png_declaring(tmp_path / "bomb.png", width, height))
    assert caught.value.code == "image_too_large"


def test_heic_is_read(tmp_path: Path) -> None:
    source = save(marked_corner((640, 480)), tmp_path / "p.heic", format="HEIF", exif=camera_exif())
    assert Image.open(source).format == "HEIF"
    meta = read_metadata(source)
    assert (meta.width, meta.height) == (640, 480)
    assert (meta.camera_make, meta.iso) == ("Canon", 400)
    assert meta.gps_latitude is not None
    assert meta.gps_latitude < 0


def test_odd_types_and_sizes_are_dropped(tmp_path: Path) -> None:
    exif = camera_exif()
    exif[0x0112] = 9  # Orientation: out of range
    exif[0x013E] = tuple(IFDRational(i, 7) for i in range(1, 1000))  # WhitePoint: huge array
    exif[0x010E] = "d" * 2000  # ImageDescription: too long for the raw dict
    photo = exif.get_ifd(0x8769)
    photo[0x9011] = "+25:00"  # OffsetTimeOriginal: impossible
    photo[0x829A] = IFDRational(0, 250)  # ExposureTime: zero
    meta = read_metadata(save(marked_corner((600, 400)), tmp_path / "odd.jpg", exif=exif))
    assert (meta.width, meta.height, meta.orientation, meta.exposure_time) == (600, 400, None, None)
    assert meta.taken_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert {"WhitePoint", "ImageDescription"}.isdisjoint(meta.exif)
    assert meta.exif["Orientation"] == 9  # the raw dict keeps the raw value
    assert meta.exif["Model"] == "EOS R5"
    json.dumps(meta.exif, allow_nan=False)


def test_subseconds_are_kept(tmp_path: Path) -> None:
    exif = camera_exif()
    exif.get_ifd(0x8769)[0x9291] = "25"  # SubsecTimeOriginal
    meta = read_metadata(save(marked_corner(), tmp_path / "sub.jpg", exif=exif))
    assert meta.taken_at is not None
    assert meta.taken_at.microsecond == 250_000
