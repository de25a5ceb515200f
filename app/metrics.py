"""Prometheus metrics (`GET /metrics` when METRICS_ENABLED): one registry for the process.

Several uvicorn workers each count their own; a scraper sees the worker that answers (see
README, "Beyond API.md")."""

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "atrium_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "atrium_http_request_duration_seconds",
    "Time from the request's start to its last response byte, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
UPLOAD_BYTES = Counter("atrium_upload_bytes", "Bytes of files kept by the ingest pipeline", registry=REGISTRY)
FILES_KEPT = Counter("atrium_files_kept", "Files kept by the ingest pipeline", registry=REGISTRY)
REFUSED = Counter(
    "atrium_uploads_refused",
    "Uploads (requests or imported files) refused, by problem code",
    ["code"],
    registry=REGISTRY,
)
RENDITIONS = Counter("atrium_renditions_made", "Thumbnails and renditions made", registry=REGISTRY)
SCANS = Counter(
    "atrium_scans", "Malware scans by result (clean, malware, unavailable)", ["result"], registry=REGISTRY
)
SWEPT = Counter("atrium_swept", "What background sweeps removed (parts, blobs)", ["what"], registry=REGISTRY)
