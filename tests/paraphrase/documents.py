"""Builders for test documents written to a temporary folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx


def write_docx(path: Path, paragraphs: list[list[tuple[str, bool]]]) -> Path:
    """Write a .docx whose paragraphs consist of (text, bold) runs."""
    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for text, bold in runs:
            paragraph.add_run(text).bold = bold
    document.save(str(path))
    return path


def write_zip_bomb(path: Path, uncompressed_bytes: int) -> Path:
    """Write a ZIP with a Word main part and one entry of `uncompressed_bytes` zeros,
    streamed in 1 MiB chunks so the test never keeps it all in memory."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        with archive.open("word/media/zeros.bin", "w", force_zip64=True) as entry:
            remaining = uncompressed_bytes
            while remaining > 0:
                entry.write(chunk[: min(remaining, len(chunk))])
                remaining -= len(chunk)
    return path


def tiny_png() -> bytes:
    """Return a valid 1x1 white PNG image."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )
