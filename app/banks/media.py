"""Pictures items show: only raster formats recognised by their bytes (never SVG, which can
carry script), within a size limit."""

from __future__ import annotations

MAX_IMAGE_BYTES = 2 * 1024 * 1024
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def content_type(data: bytes) -> str | None:
    """The picture's media type from its first bytes, or None when it is not one we serve."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
