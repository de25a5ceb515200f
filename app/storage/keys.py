"""Blob keys: a file's original and its renditions, derived from the file's `storage_key`."""

import re

STORAGE_KEY = re.compile(r"^[0-9a-f]{32}$")
RENDITION_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
ORIGINALS = "originals/"
RENDITIONS = "renditions/"
QUARANTINE = "quarantine/"


def check_storage_key(storage_key: str) -> str:
    """Storage keys are server-generated uuid hex; anything else is a bug, never a name."""
    if not STORAGE_KEY.match(storage_key):
        raise ValueError(f"invalid storage key {storage_key!r}")
    return storage_key


def original(storage_key: str) -> str:
    return ORIGINALS + check_storage_key(storage_key)


def renditions_of(storage_key: str) -> str:
    """The prefix under which every rendition of the file lives."""
    return f"{RENDITIONS}{check_storage_key(storage_key)}/"


def rendition(storage_key: str, name: str) -> str:
    if not RENDITION_NAME.match(name):
        raise ValueError(f"invalid rendition name {name!r}")
    return renditions_of(storage_key) + name


def storage_key_of(blob_key: str) -> str | None:
    """The file a blob belongs to (its original or one of its renditions), or None for other blobs."""
    for prefix in (ORIGINALS, RENDITIONS):
        if blob_key.startswith(prefix):
            candidate = blob_key[len(prefix) :].split("/", 1)[0]
            return candidate if STORAGE_KEY.match(candidate) else None
    return None


def quarantined(storage_key: str) -> str:
    """Where `atrium verify --quarantine` keeps the bytes of a flagged original, out of service."""
    return QUARANTINE + check_storage_key(storage_key)


def check_blob_key(key: str) -> str:
    """A key a store may hold: `originals/<storage key>`, `quarantine/<storage key>` or
    `renditions/<storage key>/<name>`."""
    namespace, _, rest = key.partition("/")
    storage_key, _, name = rest.partition("/")
    valid = STORAGE_KEY.match(storage_key) is not None and (
        (namespace + "/" in (ORIGINALS, QUARANTINE) and not name)
        or (namespace + "/" == RENDITIONS and RENDITION_NAME.match(name) is not None)
    )
    if not valid:
        raise ValueError(f"invalid blob key {key!r}")
    return key
