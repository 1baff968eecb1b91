"""Input files of the benchmark, written into a temporary folder.

The large file is sparse and has no ZIP signature, but is named `.docx`:
the server stores the whole body, reads the first bytes, and answers 422
UNREADABLE_FILE without running the paraphraser. The small files are valid
Word documents of one sentence, padded to their size with a stored part
that no relationship refers to, so the paraphraser handles each in a few
milliseconds and the upload ends in success.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

KIB = 1024
MIB = 1024 * KIB

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
    '.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd'
    '.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument'
    '/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Benchmark file {index} for the upload queue.</w:t>"
    "</w:r></w:p></w:body></w:document>"
)
_PADDING_PART = "customXml/padding.bin"


def write_large_file(folder: Path, size: int) -> Path:
    """Create a sparse file of `size` bytes, written in no time."""
    path = folder / f"large-{size // MIB}mib.docx"
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def _docx_bytes(index: int, padding: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELATIONSHIPS)
        archive.writestr("word/document.xml", _DOCUMENT.format(index=index))
        archive.writestr(
            zipfile.ZipInfo(_PADDING_PART), b"\0" * padding, zipfile.ZIP_STORED
        )
    return buffer.getvalue()


def write_small_files(
    folder: Path, count: int, min_size: int, max_size: int, seed: int = 1
) -> list[Path]:
    """Write `count` .docx files of random sizes from `min_size` to `max_size`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        size = rng.randint(min_size, max_size)
        # A stored part grows the archive by exactly the bytes added to it.
        overhead = len(_docx_bytes(index, 0))
        data = _docx_bytes(index, max(0, size - overhead))
        path = folder / f"file-{index:04d}.docx"
        path.write_bytes(data)
        paths.append(path)
    return paths
