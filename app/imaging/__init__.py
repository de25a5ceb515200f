"""Pure, synchronous image work (decode, EXIF, thumbnails, renders, watermarks): no DB, no I/O beyond
its arguments, so it runs in worker threads and every domain can use it."""
