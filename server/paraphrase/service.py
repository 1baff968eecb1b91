"""The paraphraser's single entry point, `paraphrase_file`.

A real paraphrasing service can replace this package by providing a function with
the same signature and errors.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .detect import DocumentType, detect_document_type
from .docx_file import paraphrase_docx
from .markdown import protected_ranges
from .names import output_name, safe_file_name
from .options import ParaphraseOptions
from .text import TextParaphraser
from .thesaurus import Thesaurus
from .wordnet import WordNetLoader

_UTF8_BOM = "\ufeff"

_default_loader = WordNetLoader()
_default_thesaurus: Thesaurus | None = None
_default_thesaurus_lock = threading.Lock()


@dataclass(frozen=True)
class ProcessedFile:
    """A paraphrased file: where it was written, its download name and its HTTP
    content type."""

    path: Path
    file_name: str
    content_type: str


def default_thesaurus() -> Thesaurus:
    """Return the process-wide thesaurus, loading WordNet on the first call.

    Raises WordNetUnavailableError when the WordNet files are missing.
    """
    global _default_thesaurus
    with _default_thesaurus_lock:
        if _default_thesaurus is None:
            _default_thesaurus = Thesaurus(_default_loader.reader())
        return _default_thesaurus


def paraphrase_file(
    source: Path,
    original_name: str,
    options: ParaphraseOptions,
    output_dir: Path,
    *,
    thesaurus: Thesaurus | None = None,
) -> ProcessedFile:
    """Paraphrase the document at `source` into a new file inside `output_dir`.

    `original_name` is the client's file name. It selects the claimed type and the
    download name, and is never used as a path. The output has the same type as
    the input, and the same input bytes and options give the same output bytes.

    Raises UnsupportedTypeError, UnreadableFileError (both DocumentError) and
    WordNetUnavailableError. Runs synchronously, so async callers run it in a thread.
    """
    document_type = detect_document_type(source, original_name)
    paraphraser = TextParaphraser(options, thesaurus or default_thesaurus())

    handle, temporary = tempfile.mkstemp(
        dir=output_dir, prefix="paraphrased-", suffix=document_type.extension
    )
    os.close(handle)
    destination = Path(temporary)
    try:
        if document_type is DocumentType.DOCX:
            display_name = safe_file_name(original_name)
            paraphrase_docx(source, destination, display_name, paraphraser)
        else:
            _paraphrase_text(source, destination, document_type, paraphraser)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise

    return ProcessedFile(
        path=destination,
        file_name=output_name(original_name, document_type.extension),
        content_type=document_type.content_type,
    )


def _paraphrase_text(
    source: Path,
    destination: Path,
    document_type: DocumentType,
    paraphraser: TextParaphraser,
) -> None:
    # detect_document_type has checked that the file is valid UTF-8. The text is
    # decoded without newline translation, so CRLF line endings are kept.
    text = source.read_bytes().decode("utf-8")
    bom = _UTF8_BOM if text.startswith(_UTF8_BOM) else ""
    text = text[len(bom) :]

    protected = protected_ranges(text) if document_type is DocumentType.MARKDOWN else ()
    result = paraphraser.paraphrase(text, protected)

    destination.write_bytes((bom + result).encode("utf-8"))
