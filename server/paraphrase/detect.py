"""Detect the type of an uploaded document from its name and its content.

The extension of the original file name selects the claimed type, and the content
must agree with it:

- .txt and .md must be UTF-8 text (a UTF-8 byte order mark is allowed) with no NUL
  bytes. A known binary signature (PDF, PNG, ZIP, ...) names what the file looks
  like in the error.
- .docx must be a ZIP archive with `word/document.xml`. Its central directory is
  checked before anything is decompressed: the entry count, the total uncompressed
  size and the compression ratio must stay under the module limits, so a ZIP bomb
  is rejected without being unpacked.
"""

from __future__ import annotations

import codecs
import enum
import zipfile
from pathlib import Path

from .errors import UnreadableFileError, UnsupportedTypeError
from .names import safe_file_name

# NOTE: python-docx parses each XML part into memory, which takes several times the
# part's size, so a document near this limit needs far more memory than 100 MB.
MAX_DOCX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_DOCX_ENTRIES = 10_000
# Word XML compresses about 5 to 20 times; a ZIP bomb compresses about 1000 times.
MAX_DOCX_COMPRESSION_RATIO = 200
# Entries smaller than this are not checked for their compression ratio, because
# small repetitive XML parts legitimately compress far better than whole documents.
_RATIO_CHECK_MIN_BYTES = 1024 * 1024
_DOCX_MAIN_PART = "word/document.xml"
_READ_CHUNK_BYTES = 64 * 1024


class DocumentType(enum.Enum):
    """A supported document type, with its extension and HTTP content type."""

    TEXT = (".txt", "text/plain; charset=utf-8")
    MARKDOWN = (".md", "text/markdown; charset=utf-8")
    DOCX = (
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )

    @property
    def extension(self) -> str:
        return self.value[0]

    @property
    def content_type(self) -> str:
        return self.value[1]


_BY_EXTENSION = {
    document_type.extension: document_type for document_type in DocumentType
}
_SUPPORTED = ", ".join(_BY_EXTENSION)

# Leading bytes of common binary formats and the name used in error messages.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (such as a .docx or .xlsx file)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document (such as .doc)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable program"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)


def detect_document_type(source: Path, original_name: str) -> DocumentType:
    """Return the type of the file at `source`, uploaded as `original_name`.

    Raises UnsupportedTypeError for an unsupported extension or for a text file
    with binary content, and UnreadableFileError for a .docx that is not a safe,
    complete Word archive.
    """
    display_name = safe_file_name(original_name)
    extension = _extension(original_name)
    document_type = _BY_EXTENSION.get(extension)
    if document_type is None:
        if not extension:
            problem = "has no file extension"
        else:
            problem = f"has the unsupported extension '{_display(extension)}'"
        raise UnsupportedTypeError(
            f"The file '{display_name}' {problem}. Supported types: {_SUPPORTED}. "
            f"Upload a file of one of these types."
        )

    if document_type is DocumentType.DOCX:
        check_docx_archive(source, display_name)
    else:
        _check_text(source, display_name, extension)
    return document_type


def check_docx_archive(
    source: Path,
    display_name: str,
    max_uncompressed_bytes: int = MAX_DOCX_UNCOMPRESSED_BYTES,
) -> None:
    """Raise UnreadableFileError unless `source` is a ZIP archive that is safe to
    open and contains a Word document part. Nothing is decompressed."""
    head = _read_head(source)
    if not head.startswith(b"PK\x03\x04"):
        kind = _signature_name(head) or _text_or_binary(head)
        raise UnreadableFileError(
            f"The file '{display_name}' is not a valid .docx file: it looks like "
            f"{kind}. Open it in Word or LibreOffice and save it as .docx."
        )

    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise UnreadableFileError(
            f"The file '{display_name}' is a damaged .docx file ({error}). "
            f"Open it in Word or LibreOffice and save it again."
        ) from error

    _check_docx_sizes(entries, display_name, max_uncompressed_bytes)
    if not any(entry.filename == _DOCX_MAIN_PART for entry in entries):
        raise UnreadableFileError(
            f"The file '{display_name}' is a ZIP archive but not a Word document: "
            f"it has no {_DOCX_MAIN_PART}. Upload a .docx file saved by a word "
            f"processor."
        )


def _check_docx_sizes(
    entries: list[zipfile.ZipInfo], display_name: str, max_uncompressed_bytes: int
) -> None:
    if len(entries) > MAX_DOCX_ENTRIES:
        raise UnreadableFileError(
            f"The file '{display_name}' contains {len(entries)} archive entries, but "
            f"a .docx file may contain at most {MAX_DOCX_ENTRIES}. It cannot be "
            f"unpacked safely."
        )

    total = sum(entry.file_size for entry in entries)
    if total > max_uncompressed_bytes:
        raise UnreadableFileError(
            f"The file '{display_name}' unpacks too large: {total:,} bytes, more "
            f"than the {_megabytes(max_uncompressed_bytes)} allowed. Split the "
            f"document or remove large embedded media."
        )

    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if (
            entry.file_size >= _RATIO_CHECK_MIN_BYTES
            and ratio > MAX_DOCX_COMPRESSION_RATIO
        ):
            raise UnreadableFileError(
                f"The file '{display_name}' unpacks too large: its entry "
                f"'{_display(entry.filename)}' expands {ratio:.0f} times, but at most "
                f"{MAX_DOCX_COMPRESSION_RATIO} times is allowed. It looks like a ZIP "
                f"bomb and is not processed."
            )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _check_text(source: Path, display_name: str, extension: str) -> None:
    head = _read_head(source)
    kind = _signature_name(head)
    if kind is not None:
        raise UnsupportedTypeError(
            f"The file '{display_name}' looks like {kind}, not text. Upload "
            f"{extension} files as UTF-8 text, or upload the document in a "
            f"supported type: {_SUPPORTED}."
        )

    decoder = codecs.getincrementaldecoder("utf-8")()
    with source.open("rb") as stream:
        offset = 0
        while chunk := stream.read(_READ_CHUNK_BYTES):
            if b"\x00" in chunk:
                raise UnsupportedTypeError(
                    f"The file '{display_name}' contains NUL bytes, so it looks like "
                    f"a binary file, not text. Upload {extension} files as UTF-8 text."
                )
            try:
                decoder.decode(chunk)
                offset += len(chunk)
            except UnicodeDecodeError as error:
                raise _not_utf8(
                    display_name, extension, offset + error.start
                ) from error
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise _not_utf8(display_name, extension, offset + error.start) from error


def _not_utf8(display_name: str, extension: str, offset: int) -> UnsupportedTypeError:
    return UnsupportedTypeError(
        f"The file '{display_name}' is not valid UTF-8 text (invalid byte at offset "
        f"{offset}). Save it with UTF-8 encoding and upload it again as {extension}."
    )


def _read_head(source: Path) -> bytes:
    with source.open("rb") as stream:
        return stream.read(512)


def _signature_name(head: bytes) -> str | None:
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    return None


def _text_or_binary(head: bytes) -> str:
    if not head:
        return "an empty file"
    if b"\x00" in head:
        return "a binary file"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still text.
        if error.start < len(head) - 3:
            return "a binary file"
    return "plain text"


def _extension(original_name: str) -> str:
    name = original_name.replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(".")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem.strip(". "):
        return ""
    return "." + extension.lower()


def _display(name: str, limit: int = 80) -> str:
    """Return `name` without control characters and shortened, for messages."""
    printable = "".join(
        character if character.isprintable() else "?" for character in name
    )
    if len(printable) > limit:
        return printable[: limit - 3] + "..."
    return printable
