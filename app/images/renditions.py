"""Thumbnails and renditions in the blob store: made on demand in worker threads, one maker per key."""

import hashlib
import json
import math
from dataclasses import dataclass, replace
from typing import Annotated, Any, BinaryIO, Self

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.files.originals import original_of
from app.files.previews import ensure_thumbnail, image_errors
from app.imaging.render import MAX_RENDER_EDGE, RENDER_MEDIA_TYPES, Fit, RenderFormat, Watermark, render
from app.imaging.thumbnails import (
    THUMBNAIL_FORMAT,
    THUMBNAIL_MEDIA_TYPE,
    THUMBNAIL_SIZES,
)
from app.models import File
from app.storage import keys
from app.storage.base import BlobStat, BlobStore
from app.work import BeforeMaking, ImageWork, ensure_derived, image_work_of

# Bump when the image code changes its output, so cached files and ETags are renewed.
RENDITION_VERSION = "1"
QUALITY_STEP = 5
LOSSLESS_QUALITY = 85  # PNG ignores quality; one value keeps one cache entry
# What visitors get of an artwork whose original is protected: no more than the large thumbnail,
# lossy, and a lossless PNG only at half the source size, so no render stands in for the original.
PROTECTED_EDGE = THUMBNAIL_SIZES["large"]
PROTECTED_QUALITY = 85


@dataclass(frozen=True)
class Rendition:
    key: str
    stat: BlobStat
    media_type: str
    etag: str

    @property
    def extension(self) -> str:
        return "." + self.key.rsplit(".", 1)[-1]


ImageWorkDep = Annotated[ImageWork, Depends(image_work_of)]


def watermark_of(settings: dict[str, Any] | None) -> Watermark | None:
    """An owner's stored watermark settings as drawn; none without (valid) settings. Whether a
    viewer gets it is the access policy's call (`policy.gets_watermark`)."""
    if not settings:
        return None
    try:
        return Watermark(**settings)
    except (TypeError, ValueError):
        return None


def _mark_suffix(watermark: Watermark | None) -> str:
    if watermark is None:
        return ""
    digest = hashlib.sha256(json.dumps(watermark.__dict__, sort_keys=True).encode()).hexdigest()
    return f"-w{digest[:10]}"


def _etag(image: File, name: str) -> str:
    """Bare validator (the response quotes it): the source bytes, the code version, the rendition."""
    return f"{image.sha256[:32]}-{RENDITION_VERSION}-{name}"


async def thumbnail(
    work: ImageWork,
    storage: BlobStore,
    *,
    image: File,
    size: str,
    watermark: Watermark | None = None,
    reader: AsyncSession | None = None,
) -> Rendition:
    """The thumbnail of `size`; the shared (file preview) one unless a watermark applies (never on
    small). `reader`: see `ensure_derived`."""
    if watermark is not None and size != "small":
        name = f"{size}{_mark_suffix(watermark)}.{THUMBNAIL_FORMAT}"
    else:
        name, watermark = f"{size}.{THUMBNAIL_FORMAT}", None
    key, stat = await ensure_thumbnail(
        storage,
        work,
        storage_key=image.storage_key,
        source=original_of(image),
        size=size,
        name=name,
        watermark=watermark,
        reader=reader,
    )
    return Rendition(key=key, stat=stat, media_type=THUMBNAIL_MEDIA_TYPE, etag=_etag(image, name))


@dataclass(frozen=True)
class RenderRequest:
    width: int | None
    height: int | None
    fit: Fit
    fmt: RenderFormat
    quality: int

    @classmethod
    def bounded(
        cls, width: int | None, height: int | None, fit: Fit, fmt: RenderFormat, quality: int
    ) -> Self:
        """Without a size the rendition still stays within the render bound (and is never enlarged)."""
        if width is None and height is None:
            width = height = MAX_RENDER_EDGE
        return cls(width=width, height=height, fit=fit, fmt=fmt, quality=quality)

    def for_source(self, shown: tuple[int, int] | None, *, protected: bool = False) -> Self:
        """The same picture asked the one canonical way, so equivalent requests share a cache entry:
        sizes past the source clamped (output is never enlarged), an edge that does not bind
        dropped, one-edge `cover` as `contain`, quality in steps of 5 (none for PNG).
        `protected`: within the bounds a visitor of a protected original may have."""
        quality = quality_step(self.fmt, self.quality)
        if protected:
            quality = min(quality, PROTECTED_QUALITY)
        if shown is None:
            edge = PROTECTED_EDGE if protected else MAX_RENDER_EDGE
            width, height = (min(e, edge) if e else None for e in (self.width, self.height))
            return replace(self, width=width, height=height, quality=quality)
        longest = self.longest_for(shown, protected=protected)
        if self.fit == "cover" and self.width is not None and self.height is not None:
            width, height = cover_box(shown, self.width, self.height, longest)
            return replace(self, width=width, height=height, quality=quality)
        width_or_none, height_or_none = contain_edge(shown, self.width, self.height, longest)
        return replace(self, width=width_or_none, height=height_or_none, fit="contain", quality=quality)

    def longest_for(self, shown: tuple[int, int], *, protected: bool) -> int:
        """The longest output side allowed."""
        if not protected:
            return MAX_RENDER_EDGE
        if self.fmt == "png":
            return max(1, min(PROTECTED_EDGE, max(shown) // 2))
        return PROTECTED_EDGE

    def name(self, watermark: Watermark | None) -> str:
        box = f"{self.width or 0}x{self.height or 0}"
        return f"render-{box}-{self.fit}-q{self.quality}{_mark_suffix(watermark)}.{self.fmt}"


def quality_step(fmt: RenderFormat, quality: int) -> int:
    if fmt == "png":
        return LOSSLESS_QUALITY
    return min(100, max(QUALITY_STEP, QUALITY_STEP * round(quality / QUALITY_STEP)))


def contain_edge(
    shown: tuple[int, int], width: int | None, height: int | None, longest: int
) -> tuple[int | None, int | None]:
    """The output's longest side as the only edge (the other follows from the aspect ratio)."""
    src_w, src_h = shown
    scale = min(width / src_w if width else 1.0, height / src_h if height else 1.0, 1.0)
    edge = min(longest, max(1, math.floor(max(shown) * scale + 1e-6)))
    return (edge, None) if src_w >= src_h else (None, edge)


def cover_box(shown: tuple[int, int], width: int, height: int, longest: int) -> tuple[int, int]:
    """A box larger than the source yields the largest crop of its aspect: ask for that crop."""
    shrink = min(shown[0] / width, shown[1] / height, longest / max(width, height), 1.0)
    return max(1, round(width * shrink)), max(1, round(height * shrink))


async def rendition(
    work: ImageWork,
    storage: BlobStore,
    *,
    image: File,
    spec: RenderRequest,
    watermark: Watermark | None = None,
    reader: AsyncSession | None = None,
    before_making: BeforeMaking | None = None,
) -> Rendition:
    """A resized, cropped or converted copy, kept in the store by its parameters;
    `before_making` runs first when it is not there yet (and may refuse). `reader`: see
    `ensure_derived`."""
    name = spec.name(watermark)
    key = keys.rendition(image.storage_key, name)

    def make(source: BinaryIO) -> bytes:
        return render(
            source,
            width=spec.width,
            height=spec.height,
            fit=spec.fit,
            fmt=spec.fmt,
            quality=spec.quality,
            watermark=watermark,
        )

    with image_errors():
        stat = await ensure_derived(
            storage,
            work,
            key=key,
            source=original_of(image),
            make=make,
            reader=reader,
            before_making=before_making,
        )
    return Rendition(key=key, stat=stat, media_type=RENDER_MEDIA_TYPES[spec.fmt], etag=_etag(image, name))
