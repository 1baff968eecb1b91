"""Checks made on a chosen file before any request is sent.

A file that fails gets a `failed` row with the reason, and the server
never sees it. The server checks the same things again, by content.
"""

from __future__ import annotations

import re

from app.config import AppConfig
from app.errors import ValidationError
from app.format import format_size
from app.model import FileInfo

__all__ = ["check_file", "display_name", "form_file_name"]

# Longest file name shown in full; longer ones are shortened in the middle.
_MAX_DISPLAY_NAME = 120

# Control characters, and the bidirectional controls that could make a name
# read as another (such as "report\u202excod.exe" shown as "reportexe.docx").
_SHOWN_AS_REPLACEMENT = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_LEFT_OUT_OF_FORM = re.compile(r"[\x00-\x1f\x7f]")


def check_file(info: FileInfo, config: AppConfig) -> None:
    """Raise `ValidationError` with a message a person can act on."""
    if not info.name.strip():
        raise ValidationError("The file has no name. Rename it and add it again.")
    size_ok = 0 < info.size <= config.max_file_bytes
    if size_ok and info.extension in config.allowed_extensions:
        return
    name = display_name(info.name)
    if info.size <= 0:
        raise ValidationError(
            f"“{name}” is empty (0 bytes). Choose a file that contains text."
        )
    if info.size > config.max_file_bytes:
        raise ValidationError(
            f"“{name}” is {format_size(info.size)}, larger than the "
            f"{format_size(config.max_file_bytes)} limit. Split it or choose a "
            "smaller file."
        )
    if info.extension not in config.allowed_extensions:
        accepted = ", ".join(config.allowed_extensions)
        shown = info.extension or "no extension"
        raise ValidationError(
            f"“{name}” has {shown}; this service accepts {accepted} files."
        )


def display_name(name: str) -> str:
    """Return the name with control characters replaced and a bounded length."""
    cleaned = _SHOWN_AS_REPLACEMENT.sub("\N{REPLACEMENT CHARACTER}", name)
    if len(cleaned) <= _MAX_DISPLAY_NAME:
        return cleaned
    half = (_MAX_DISPLAY_NAME - 1) // 2
    return cleaned[:half] + "…" + cleaned[-half:]


def form_file_name(name: str) -> str:
    """Return the file name to send in the upload form, without control characters.

    Browsers copy the name into the part's Content-Disposition header as it
    is, and servers (aiohttp among them) reject a header that contains a
    control character as a malformed form. The server drops these characters
    from the stored name anyway.
    """
    return _LEFT_OUT_OF_FORM.sub("", name)
