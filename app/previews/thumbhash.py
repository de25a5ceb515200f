"""ThumbHash placeholders (https://evanw.github.io/thumbhash/) made from a small thumbnail, with
`fast_thumbhash`, a binding of the reference Rust encoder (the same bytes as the JavaScript one the
share page decodes with). Pure and sync."""

import base64
import io

import fast_thumbhash
from PIL import Image

# The encoder costs O(pixels x coefficients): 64 px is plenty for a blur of at most 7 x 7
# frequencies and keeps it to about a millisecond.
HASH_EDGE = 64


def thumbhash_of(thumbnail: bytes) -> str:
    """The base64 ThumbHash (under 40 bytes) of an encoded thumbnail (orientation already applied)."""
    with Image.open(io.BytesIO(thumbnail)) as im:
        small = im.convert("RGBA")
    small.thumbnail((HASH_EDGE, HASH_EDGE), Image.Resampling.BILINEAR)
    hashed = fast_thumbhash.rgba_to_thumb_hash(small.width, small.height, small.tobytes())
    return base64.b64encode(bytes(hashed)).decode("ascii")
