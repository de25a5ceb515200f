"""ThumbHash placeholders (https://evanw.github.io/thumbhash/) made from a small thumbnail, with
the `thumbhash` package's encoder. Pure and sync."""

import base64
import io

import thumbhash as encoder
from PIL import Image

# The encoder is pure Python and costs O(pixels x coefficients): 64 px is plenty for a blur of at
# most 7 x 7 frequencies and keeps it to tens of milliseconds.
HASH_EDGE = 64


def thumbhash_of(thumbnail: bytes) -> str:
    """The base64 ThumbHash (under 40 bytes) of an encoded thumbnail (orientation already applied)."""
    with Image.open(io.BytesIO(thumbnail)) as im:
        small = im.convert("RGBA")
    small.thumbnail((HASH_EDGE, HASH_EDGE), Image.Resampling.BILINEAR)
    hashed = encoder.rgba_to_thumb_hash(small.width, small.height, list(small.tobytes()))
    return base64.b64encode(bytes(hashed)).decode("ascii")
