"""Bytes for compression tests (text that compresses like prose, an uncompressed BMP and WAV, noise)
and what the rows and the store say about an original."""

import io
import random
import struct
import uuid
import wave

from fastapi import FastAPI
from PIL import Image

from app.models import File
from app.storage import keys

WORDS = "the of and to in is was he for it with as his on be at by had are but from or have an they".split()  # noqa: SIM905


def prose(size: int, seed: int = 7) -> bytes:
    """`size` bytes of words and line breaks: compresses to about a third, like text does."""
    rng = random.Random(seed)
    words = rng.choices(WORDS + [f"w{n}" for n in range(2000)], k=size // 3)
    lines = (" ".join(words[i : i + 12]) for i in range(0, len(words), 12))
    return "\n".join(lines).encode()[:size].ljust(size, b".")


def noise(size: int, seed: int = 3) -> bytes:
    return random.Random(seed).randbytes(size)


def bmp_bytes(size: tuple[int, int] = (400, 300)) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "BMP")
    return buffer.getvalue()


def wav_bytes(samples: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(samples)
    return buffer.getvalue()


def tone(seconds: int = 4) -> bytes:
    """A quiet square wave: 16-bit samples that compress well."""
    return b"".join(struct.pack("<h", 800 if (i // 20) % 2 else -800) for i in range(8000 * seconds))


async def row_of(app: FastAPI, file_id: str) -> File:
    async with app.state.session_factory() as session:
        file = await session.get(File, uuid.UUID(file_id))
        assert file is not None
        return file


async def stored_size(app: FastAPI, file_id: str) -> int:
    file = await row_of(app, file_id)
    stat = await app.state.storage.stat(keys.original(file.storage_key))
    size: int = stat.size
    return size
