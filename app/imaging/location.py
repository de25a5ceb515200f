"""Originals without their location, for share links that hide metadata. Pure and sync.

A JPEG keeps every byte but the location: the EXIF GPS directory is cut out of the APP1 segment
in place (its entry leaves IFD0, its entries and values become zeros, nothing else moves, so
every other offset stays valid) and XMP packets that carry GPS are dropped; the entropy-coded
image data is copied unchanged. Other formats are re-encoded without metadata.
"""

import io
import struct
from typing import BinaryIO

from PIL import Image

from app.imaging.decode import DECODE_ERRORS, ImageError

GPS_POINTER = 0x8825
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
EXIF_HEADER = b"Exif\x00\x00"
# Bytes per value of each TIFF field type (unknown types are treated as 1 byte each).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8}
SOS, EOI = 0xDA, 0xD9
STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length
REENCODE_FORMATS = {
    "PNG": "PNG",
    "WEBP": "WEBP",
    "TIFF": "TIFF",
    "HEIF": "HEIF",
    "AVIF": "AVIF",
    "GIF": "GIF",
}


class NotAJpeg(ValueError):
    pass


UNREADABLE: tuple[type[BaseException], ...] = (*DECODE_ERRORS, struct.error)


def without_location(source: BinaryIO) -> bytes:
    """The file's bytes with no location: JPEG spliced losslessly, anything else re-encoded.
    Raises `ImageError` for a file that is neither a readable JPEG nor a decodable image."""
    head = source.read(2)
    source.seek(0)
    try:
        if head == b"\xff\xd8":
            return jpeg_without_gps(source.read())
        return reencoded(source)
    except UNREADABLE as exc:
        raise ImageError("image_unreadable", "the image cannot be read to remove its location") from exc


def jpeg_without_gps(data: bytes) -> bytes:
    """The JPEG with its EXIF GPS directory blanked and GPS-bearing XMP dropped; every other byte,
    the scan data included, as it was."""
    if data[:2] != b"\xff\xd8":
        raise NotAJpeg("not a JPEG")
    out = bytearray(data[:2])
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise NotAJpeg(f"no marker at {position}")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            out.append(0xFF)
            position += 1
            continue
        if marker in STANDALONE:
            out += data[position : position + 2]
            position += 2
            continue
        if marker in (SOS, EOI):
            break
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        end = position + 2 + length
        segment = data[position:end]
        if marker == 0xE1 and segment[4:].startswith(EXIF_HEADER):
            out += segment[:10] + blank_gps(segment[10:])
        elif not (marker == 0xE1 and segment[4:].startswith(XMP_HEADER) and b"GPS" in segment):
            out += segment
        position = end
    out += data[position:]
    return bytes(out)


def blank_gps(tiff: bytes) -> bytes:
    """A TIFF (EXIF) block of the same length without its GPS directory; unreadable blocks are
    emptied of values rather than kept (they might still hold a location)."""
    try:
        return _blank_gps(bytearray(tiff))
    except (struct.error, IndexError, ValueError):
        return bytes(len(tiff))


def _blank_gps(tiff: bytearray) -> bytes:
    order = {b"II": "<", b"MM": ">"}[bytes(tiff[:2])]
    ifd0 = struct.unpack_from(order + "I", tiff, 4)[0]
    count = struct.unpack_from(order + "H", tiff, ifd0)[0]
    entries = ifd0 + 2
    for index in range(count):
        entry = entries + 12 * index
        tag = struct.unpack_from(order + "H", tiff, entry)[0]
        if tag != GPS_POINTER:
            continue
        gps = struct.unpack_from(order + "I", tiff, entry + 8)[0]
        _blank_directory(tiff, order, gps)
        # drop the entry: later entries and the next-IFD offset move up, 12 zero bytes follow them
        tail_end = entries + 12 * count + 4
        tiff[entry:tail_end] = tiff[entry + 12 : tail_end] + bytes(12)
        struct.pack_into(order + "H", tiff, ifd0, count - 1)
        break
    return bytes(tiff)


def _blank_directory(tiff: bytearray, order: str, offset: int) -> None:
    count = struct.unpack_from(order + "H", tiff, offset)[0]
    for index in range(count):
        entry = offset + 2 + 12 * index
        kind, values = struct.unpack_from(order + "HI", tiff, entry + 2)
        size = TYPE_SIZES.get(kind, 1) * values
        if size > 4:
            start = struct.unpack_from(order + "I", tiff, entry + 8)[0]
            tiff[start : start + size] = bytes(len(tiff[start : start + size]))
    end = offset + 2 + 12 * count + 4
    tiff[offset:end] = bytes(len(tiff[offset:end]))


def reencoded(source: BinaryIO) -> bytes:
    """The image re-encoded in its own format (PNG when Pillow cannot write that), without EXIF,
    XMP or text chunks; pixels kept (lossless where the format allows)."""
    with Image.open(source) as image:
        image.load()
        fmt = REENCODE_FORMATS.get(image.format or "", "PNG")
        clean = image.copy()  # a plain Image: no tags of the source file ride along
        clean.info = {}
        buffer = io.BytesIO()
        options = {"lossless": True} if fmt == "WEBP" else {"quality": 95} if fmt in ("HEIF", "AVIF") else {}
        clean.save(buffer, fmt, **options)
        return buffer.getvalue()
