"""What a file is: its kind from the sniffed MIME type, and whether its name agrees (pure)."""

from pathlib import PurePosixPath

KINDS = ("image", "video", "audio", "text", "document", "archive", "other")

DEFAULT_ALLOWED_TYPES: tuple[str, ...] = (
    # images
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/x-ms-bmp", "image/tiff",
    "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence", "image/avif",
    # documents
    "application/pdf", "application/rtf", "text/rtf",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation", "application/epub+zip",
    # text
    "text/plain", "text/markdown", "text/x-markdown", "text/csv", "application/csv", "application/json",
    # archives
    "application/zip", "application/x-tar", "application/gzip", "application/x-gzip",
    "application/x-7z-compressed", "application/x-bzip2", "application/x-xz",
    # audio
    "audio/mpeg", "audio/ogg", "audio/flac", "audio/x-flac", "audio/wav", "audio/x-wav", "audio/vnd.wave",
    "audio/mp4", "audio/x-m4a", "audio/aac", "audio/x-hx-aac-adts", "audio/webm", "audio/opus",
    # video
    "video/mp4", "video/webm", "video/quicktime", "video/x-matroska", "video/x-msvideo", "video/mpeg",
    "video/ogg", "video/3gpp",
    # an empty file is harmless whatever its name
    "application/x-empty",
)  # fmt: skip

# Served only as attachments, never previewed inline, even when an admin allows them.
ACTIVE_TYPES = frozenset(
    {
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
        "application/javascript", "text/javascript", "application/ecmascript",
    }
)  # fmt: skip

EMPTY_TYPE = "application/x-empty"

_PAGE = frozenset({"text/html", "application/xhtml+xml"})
_SCRIPT = frozenset({"application/javascript", "text/javascript"})
_WINDOWS_EXE = frozenset({"application/x-dosexec", "application/vnd.microsoft.portable-executable"})
# Extensions a browser renders as a page or runs, or an operating system executes, whatever the
# bytes are. Such a name goes only with content of that very type (which the allowlist then
# judges, as any type); with any other content the name lies: 415 type_mismatch.
ACTIVE_EXTENSIONS: dict[str, frozenset[str]] = {
    **dict.fromkeys(["html", "htm", "xhtml", "xht", "shtml", "hta"], _PAGE),
    "svg": frozenset({"image/svg+xml"}),
    **dict.fromkeys(["xml", "xsl", "xslt"], frozenset({"text/xml", "application/xml"})),
    **dict.fromkeys(["js", "mjs", "cjs"], _SCRIPT),
    **dict.fromkeys(["exe", "dll", "scr", "com", "cpl"], _WINDOWS_EXE),
    "sh": frozenset({"text/x-shellscript", "application/x-sh"}),
    "msi": frozenset({"application/x-msi"}),
    "jar": frozenset({"application/java-archive", "application/x-java-archive"}),
    **dict.fromkeys(["php", "phtml", "phar"], frozenset({"text/x-php", "application/x-php"})),
    **dict.fromkeys(
        ["bat", "cmd", "pif", "msc", "lnk", "reg", "vbs", "vbe", "jse", "wsf", "wsh", "ps1", "app", "asp",
         "aspx", "jsp"],
        frozenset(),
    ),
}  # fmt: skip

_EXACT_KINDS = {
    "application/pdf": "document",
    "application/rtf": "document",
    "text/rtf": "document",
    "application/msword": "document",
    "application/vnd.ms-excel": "document",
    "application/vnd.ms-powerpoint": "document",
    "application/epub+zip": "document",
    "application/json": "text",
    "application/csv": "text",
    "application/zip": "archive",
    "application/x-tar": "archive",
    "application/gzip": "archive",
    "application/x-gzip": "archive",
    "application/x-7z-compressed": "archive",
    "application/x-bzip2": "archive",
    "application/x-xz": "archive",
    "application/x-rar": "archive",
    "application/vnd.rar": "archive",
}

# Office formats that are zip containers: libmagic may only see the zip in the first bytes.
ZIP_DOCUMENTS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "epub": "application/epub+zip",
}

_EXTENSION_KINDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "jpg",
            "jpeg",
            "jpe",
            "jfif",
            "png",
            "gif",
            "webp",
            "bmp",
            "dib",
            "tif",
            "tiff",
            "heic",
            "heif",
            "hif",
            "avif",
            "ico",
        ],
        "image",
    ),
    **dict.fromkeys(
        ["mp4", "m4v", "webm", "mov", "qt", "mkv", "avi", "mpg", "mpeg", "ogv", "3gp", "3g2", "wmv", "flv"],
        "video",
    ),
    **dict.fromkeys(
        ["mp3", "ogg", "oga", "opus", "flac", "wav", "m4a", "aac", "weba", "wma", "aif", "aiff"], "audio"
    ),
    **dict.fromkeys(
        ["txt", "text", "md", "markdown", "csv", "tsv", "json", "log", "ini", "cfg", "yaml", "yml", "toml"],
        "text",
    ),
    **dict.fromkeys(
        ["pdf", "rtf", "doc", "dot", "xls", "ppt", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"],
        "document",
    ),
    **dict.fromkeys(["zip", "tar", "gz", "tgz", "7z", "bz2", "tbz2", "xz", "txz", "rar"], "archive"),
}


def kind_of(mime_type: str) -> str:
    """One of KINDS for a MIME type."""
    if mime_type in _EXACT_KINDS:
        return _EXACT_KINDS[mime_type]
    major, _, minor = mime_type.partition("/")
    if major in ("image", "video", "audio"):
        return major
    if major == "text":
        return "text"
    if "officedocument" in minor or "opendocument" in minor:
        return "document"
    return "other"


def extension_of(name: str) -> str:
    """The last extension, lowercased; trailing dots and spaces (dropped by Windows) ignored."""
    return PurePosixPath(name.rstrip(". ")).suffix.lower().lstrip(".")


def active_extension(name: str, mime_type: str) -> str | None:
    """The name's extension when it is active or executable and the content is not of that type."""
    extension = extension_of(name)
    allowed = ACTIVE_EXTENSIONS.get(extension)
    return extension if allowed is not None and mime_type not in allowed else None


def claimed_kind(name: str) -> str | None:
    """The kind a name's extension claims, or None when the extension says nothing we know."""
    return _EXTENSION_KINDS.get(extension_of(name))


def refine_type(mime_type: str, name: str) -> str:
    """A zip whose name says it is an office document is that document (same container)."""
    if mime_type == "application/zip":
        return ZIP_DOCUMENTS.get(extension_of(name), mime_type)
    return mime_type


def names_agree(name: str, mime_type: str) -> bool:
    """False when the name's extension claims another kind than the content has."""
    if mime_type == EMPTY_TYPE:
        return True
    if active_extension(name, mime_type) is not None:
        return False
    claimed = claimed_kind(name)
    return claimed is None or claimed == kind_of(mime_type)


def is_active(mime_type: str) -> bool:
    return mime_type in ACTIVE_TYPES or mime_type.endswith("+xml")
