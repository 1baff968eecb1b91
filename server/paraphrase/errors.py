"""Errors raised by the paraphraser.

    DocumentError               the request or the uploaded file cannot be processed
     +-- OptionsError           an option is invalid (HTTP 400 BAD_REQUEST)
     +-- UnsupportedTypeError   the file type is not supported (HTTP 415)
     +-- UnreadableFileError    the file has a supported type but is damaged (HTTP 422)

    WordNetUnavailableError     the WordNet database is missing on the server

A DocumentError is the client's problem, so its `message` is a full sentence that says
what is wrong and what to do, fit to show to the person who uploaded the file.
WordNetUnavailableError is a server setup problem and is not a DocumentError.
"""

from __future__ import annotations


class DocumentError(Exception):
    """The options or the uploaded file cannot be processed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OptionsError(DocumentError):
    """A paraphrase option is invalid. The message names the field and the allowed
    values."""


class UnsupportedTypeError(DocumentError):
    """The file's extension or content is not one of the supported document types."""


class UnreadableFileError(DocumentError):
    """The file claims a supported type but cannot be read safely."""


class WordNetUnavailableError(RuntimeError):
    """The WordNet database files are missing or cannot be loaded."""
