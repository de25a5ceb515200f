"""`make bench`: Atrium measured side by side with nginx, libvips and a bare FastAPI ceiling."""
