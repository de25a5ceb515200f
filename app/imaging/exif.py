"""Image metadata from the file's headers: displayed size and EXIF, never a full decode.

Malformed EXIF never raises: each field is read on its own and a value that is missing, of the
wrong type, out of range, binary or huge is left out while the readable fields are kept.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from numbers import Real
from typing import Any

from PIL import ExifTags, Image

from app.imaging.decode import DECODE_ERRORS, ImageError, ImageSource, displayed_size, open_image

__all__ = ["ImageError", "ImageMetadata", "read_metadata"]

MAX_STRING = 512
"""Longer EXIF strings are dropped from the raw dict (they are garbage or an attack)."""
MAX_FIELD = 128
"""Longer camera, model and lens names are dropped (the columns hold 128 characters)."""
MAX_ITEMS = 64
"""Longer EXIF arrays are dropped from the raw dict."""
MAX_JSON_INT = 2**53  # beyond this JavaScript clients lose precision

EXIF_IFD = ExifTags.IFD.Exif
GPS_IFD = ExifTags.IFD.GPSInfo
POINTER_TAGS = frozenset({int(EXIF_IFD), int(GPS_IFD), int(ExifTags.IFD.Interop), int(ExifTags.IFD.IFD1)})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EXIF_DATE = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")

T = ExifTags.Base
G = ExifTags.GPS


@dataclass(frozen=True)
class ImageMetadata:
    """Displayed size, the usual EXIF fields (None when absent or unreadable), and the raw EXIF."""

    width: int
    height: int
    taken_at: datetime | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    exposure_time: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    orientation: int | None = None
    exif: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The known EXIF fields that are present, JSON-ready (what API.md's `image.exif` lists)."""
        fields = asdict(self)
        for name in ("width", "height", "exif"):
            fields.pop(name)
        if self.taken_at is not None:
            fields["taken_at"] = self.taken_at.isoformat()
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class ExifDirs:
    """The three EXIF directories (tag number -> Pillow value)."""

    main: Mapping[int, Any]
    photo: Mapping[int, Any]
    gps: Mapping[int, Any]

    def get(self, tag: int) -> Any:
        """A tag from the EXIF sub-directory, or from the main one where some writers put it."""
        value = self.photo.get(tag)
        return self.main.get(tag) if value is None else value


def read_metadata(source: ImageSource) -> ImageMetadata:
    """Size as displayed and EXIF of the image at `source`, reading headers only."""
    with open_image(source) as im:
        dirs = read_dirs(im)
        size = im.size
    orientation = read_int(dirs.main.get(T.Orientation), low=1, high=8)
    width, height = displayed_size(size, orientation or 1)
    return ImageMetadata(
        width=width,
        height=height,
        taken_at=read_taken_at(dirs),
        camera_make=read_text(dirs.main.get(T.Make)),
        camera_model=read_text(dirs.main.get(T.Model)),
        lens=read_text(dirs.get(T.LensModel)),
        exposure_time=read_positive(dirs.get(T.ExposureTime)),
        f_number=read_positive(dirs.get(T.FNumber)),
        iso=read_iso(dirs),
        focal_length=read_positive(dirs.get(T.FocalLength)),
        gps_latitude=read_coordinate(dirs.gps.get(G.GPSLatitude), dirs.gps.get(G.GPSLatitudeRef), 90),
        gps_longitude=read_coordinate(dirs.gps.get(G.GPSLongitude), dirs.gps.get(G.GPSLongitudeRef), 180),
        orientation=orientation,
        exif=raw_exif(dirs),
    )


def read_dirs(im: Image.Image) -> ExifDirs:
    """The EXIF directories of an opened image; an unreadable one is empty."""
    try:
        # The base implementation reads what the header gave; PNG's override decodes all pixels.
        exif = Image.Image.getexif(im)
    except DECODE_ERRORS:
        return ExifDirs({}, {}, {})
    return ExifDirs(read_ifd(exif, None), read_ifd(exif, EXIF_IFD), read_ifd(exif, GPS_IFD))


def read_ifd(exif: Image.Exif, pointer: int | None) -> dict[int, Any]:
    """One directory as a plain dict, skipping entries Pillow cannot parse."""
    try:
        directory: Mapping[int, Any] = exif if pointer is None else exif.get_ifd(pointer)
        tags = list(directory)
    except DECODE_ERRORS:
        return {}
    values: dict[int, Any] = {}
    for tag in tags:
        try:
            values[tag] = directory[tag]
        except DECODE_ERRORS:
            continue
    return values


def read_text(value: Any, *, limit: int = MAX_FIELD) -> str | None:
    """A clean one-line string, or None when absent, empty, binary or longer than `limit`."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", fix_utf8(value)).strip()
    return text if text and len(text) <= limit else None


def fix_utf8(text: str) -> str:
    """Pillow decodes EXIF ASCII as Latin-1; most writers actually store UTF-8."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def read_number(value: Any) -> float | None:
    """A finite float from an int, float or EXIF rational (first item of a sequence)."""
    if isinstance(value, tuple | list) and value:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def read_positive(value: Any) -> float | None:
    """A number > 0, or None."""
    number = read_number(value)
    return number if number is not None and number > 0 else None


def read_int(value: Any, *, low: int, high: int) -> int | None:
    """A whole number within [low, high], or None."""
    number = read_number(value)
    if number is None or not number.is_integer() or not low <= number <= high:
        return None
    return int(number)


def read_iso(dirs: ExifDirs) -> int | None:
    """ISO speed from PhotographicSensitivity (ISOSpeedRatings), else ISOSpeed."""
    for tag in (T.ISOSpeedRatings, T.ISOSpeed):
        iso = read_int(dirs.get(tag), low=1, high=2**31 - 1)
        if iso is not None:
            return iso
    return None


def read_taken_at(dirs: ExifDirs) -> datetime | None:
    """When the photo was taken: DateTimeOriginal with its offset (UTC when none), else Digitized."""
    for stamp, offset, subsec in (
        (T.DateTimeOriginal, T.OffsetTimeOriginal, T.SubsecTimeOriginal),
        (T.DateTimeDigitized, T.OffsetTimeDigitized, T.SubsecTimeDigitized),
    ):
        taken = parse_exif_datetime(dirs.get(stamp), dirs.get(offset), dirs.get(subsec))
        if taken is not None:
            return taken
    return None


def parse_exif_datetime(stamp: Any, offset: Any, subsec: Any) -> datetime | None:
    """An aware datetime from EXIF's "YYYY:MM:DD HH:MM:SS", "+HH:MM" and sub-second digits."""
    match = _EXIF_DATE.match(stamp) if isinstance(stamp, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:  # 0000:00:00 00:00:00, month 13, ...
        return None
    digits = subsec.strip()[:6] if isinstance(subsec, str) else ""
    if digits.isdigit():
        naive = naive.replace(microsecond=int(digits.ljust(6, "0")))
    return naive.replace(tzinfo=parse_offset(offset))


def parse_offset(offset: Any) -> timezone:
    """The zone of "+02:00" / "-05:30"; UTC when absent or malformed."""
    match = _OFFSET.match(offset) if isinstance(offset, str) else None
    if match is None:
        return UTC
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta >= timedelta(hours=24) or int(minutes) >= 60:
        return UTC
    return timezone(-delta if sign == "-" else delta)


def read_coordinate(value: Any, ref: Any, limit: int) -> float | None:
    """Signed decimal degrees from degrees/minutes/seconds; south and west are negative."""
    parts = value if isinstance(value, tuple | list) else (value,)
    numbers = [read_number(part) for part in parts[:3]]
    if not numbers or any(number is None or number < 0 for number in numbers):
        return None
    degrees = sum((number or 0) / 60**index for index, number in enumerate(numbers))
    if isinstance(ref, str) and ref.strip().upper()[:1] in ("S", "W"):
        degrees = -degrees
    return round(degrees, 7) if abs(degrees) <= limit else None


def raw_exif(dirs: ExifDirs) -> dict[str, Any]:
    """Every readable tag by its EXIF name, JSON-safe; GPS tags nested under "GPSInfo"."""
    raw = named_values({**dirs.main, **dirs.photo}, ExifTags.TAGS, skip=POINTER_TAGS)
    gps = named_values(dirs.gps, ExifTags.GPSTAGS, skip=frozenset())
    if gps:
        raw["GPSInfo"] = gps
    return raw


def named_values(
    values: Mapping[int, Any], names: Mapping[int, str], *, skip: frozenset[int]
) -> dict[str, Any]:
    """Known tags with a JSON-safe value, by name."""
    named: dict[str, Any] = {}
    for tag, value in values.items():
        name = names.get(tag)
        safe = json_safe(value)
        if name is not None and tag not in skip and safe is not None:
            named[name] = safe
    return named


def json_safe(value: Any) -> Any:
    """A JSON value (str, int, float, list) for an EXIF value, or None to drop it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < MAX_JSON_INT else None
    if isinstance(value, str):
        return read_text(value, limit=MAX_STRING)
    if isinstance(value, Real):
        return read_number(value)
    if isinstance(value, tuple | list) and 0 < len(value) <= MAX_ITEMS:
        items = [json_safe(item) for item in value]
        return None if any(item is None for item in items) else items
    return None  # bytes, nested directories, empty or huge arrays
