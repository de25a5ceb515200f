"""Video and audio through PyAV (FFmpeg): a poster frame from the first seconds, duration and
dimensions. Pure and sync; runs only in the extraction child (FFmpeg's decoders are C)."""

from typing import BinaryIO

import av
import av.container

from app.previews.found import Found
from app.previews.picture import preview_webp

POSTER_AT_SECONDS = 1.0  # past a fade-in from black, within the first seconds of any clip
MAX_POSTER_FRAMES = 300  # frames decoded at most to find the poster


def extract_video(source: BinaryIO) -> Found:
    with av.open(source, mode="r", metadata_errors="ignore") as container:
        if not container.streams.video:
            return Found(duration_seconds=duration_of(container))
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        width, height = stream.codec_context.width, stream.codec_context.height
        duration = duration_of(container)
        return Found(
            preview=_poster(container, stream, duration),
            duration_seconds=duration,
            width=width or None,
            height=height or None,
        )


def extract_audio(source: BinaryIO) -> Found:
    with av.open(source, mode="r", metadata_errors="ignore") as container:
        return Found(duration_seconds=duration_of(container))


def duration_of(container: av.container.InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / av.time_base
    for stream in container.streams:
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
    return None


def _poster(
    container: av.container.InputContainer, stream: av.VideoStream, duration: float | None
) -> bytes | None:
    target = POSTER_AT_SECONDS if duration is None else min(POSTER_AT_SECONDS, duration / 2)
    if target > 0:
        try:
            container.seek(int(target * av.time_base), backward=True, any_frame=False)
        except av.FFmpegError:
            container.seek(0)
    last = None
    for count, frame in enumerate(container.decode(stream)):
        last = frame
        if frame.time is None or frame.time >= target or count >= MAX_POSTER_FRAMES:
            break
    return None if last is None else preview_webp(last.to_image())  # type: ignore[no-untyped-call]
