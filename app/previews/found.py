"""What an extractor found, as the child writes it: plain data and the standard library only, so
the child starts fast (the parent validates it again as `result.Extracted`)."""

import base64
import json
from dataclasses import asdict, dataclass

TEXT_LIMIT = 1024 * 1024  # characters of search text kept per file
PREVIEW_EDGE = 256  # the longest side of a preview, as the small image thumbnail


@dataclass
class Found:
    text: str | None = None
    preview: bytes | None = None  # a WebP
    page_count: int | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None

    def to_json(self) -> str:
        fields = asdict(self)
        if self.preview is not None:
            fields["preview"] = base64.b64encode(self.preview).decode("ascii")
        return json.dumps(fields)
