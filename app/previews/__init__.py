"""Previews, search text and placeholders for the formats people keep (PDF, DOCX/ODT, video,
audio) and ThumbHash placeholders for images. Decoders of untrusted formats run in a child
process bounded in time and memory (`sandbox`); the rest is pure and sync."""
