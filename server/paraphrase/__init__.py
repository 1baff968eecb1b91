"""Offline, deterministic paraphraser for .txt, .md and .docx documents.

It replaces words with synonyms from WordNet 3.0 (Debian package `wordnet-base`,
read with nltk) and keeps everything else: whitespace, punctuation, capitalization,
Markdown syntax and code, and Word formatting. `paraphrase_file` is the only entry
point the server needs:

    options = ParaphraseOptions.from_form({"mode": ["formal"], "synonym": ["60"]})
    result = paraphrase_file(upload_path, "report.docx", options, output_dir)
    # result.path, result.file_name == "report.paraphrased.docx", result.content_type

Modules: `options` (request options), `detect` (file type and ZIP checks), `names`
(safe download names), `wordnet` (corpus loading), `thesaurus` (synonym choice and
the modes), `text` (word-level substitution), `markdown` and `docx_file` (format
handling), `service` (`paraphrase_file`).
"""

from .detect import DocumentType, detect_document_type
from .errors import (
    DocumentError,
    OptionsError,
    UnreadableFileError,
    UnsupportedTypeError,
    WordNetUnavailableError,
)
from .options import MODES, SUPPORTED_LANGUAGES, ParaphraseOptions
from .service import ProcessedFile, paraphrase_file

__all__ = [
    "MODES",
    "SUPPORTED_LANGUAGES",
    "DocumentError",
    "DocumentType",
    "OptionsError",
    "ParaphraseOptions",
    "ProcessedFile",
    "UnreadableFileError",
    "UnsupportedTypeError",
    "WordNetUnavailableError",
    "detect_document_type",
    "paraphrase_file",
]
