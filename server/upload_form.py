"""Streaming a multipart/form-data upload to a temporary file.

The file part is written to disk chunk by chunk as it arrives, so memory use
does not grow with the file. The client's file name is only ever a display
name: the temporary file gets a generated name.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import BodyPartReader, MultipartReader
from aiohttp.http_exceptions import HttpProcessingError

from .body import BodyReader
from .errors import ApiError

__all__ = ["UploadForm", "clean_file_name", "read_upload_form"]

FILE_FIELD = "file"
MAX_FILE_NAME_LENGTH = 255
# Limits on the text fields (mode, language, freeze words and so on), which
# are kept in memory.
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS_TOTAL_BYTES = 256 * 1024
MAX_PARTS = 100
_CHUNK_SIZE = 64 * 1024
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,16}")
_FALLBACK_NAME = "upload"


@dataclass
class UploadForm:
    """The fields of an upload request, with the file stored at `file_path`."""

    file_path: Path
    file_name: str
    size: int
    fields: dict[str, list[str]] = field(default_factory=dict)


def clean_file_name(raw: str | None) -> str:
    """Return a display name without folders, control characters or dots only.

    >>> clean_file_name("../../notes.txt")
    'notes.txt'
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.strip()
    if not name.strip("."):
        return _FALLBACK_NAME
    if len(name) > MAX_FILE_NAME_LENGTH:
        suffix = _safe_suffix(name)
        name = name[: MAX_FILE_NAME_LENGTH - len(suffix)] + suffix
    return name


async def read_upload_form(
    body: BodyReader, content_type: str, temp_dir: Path, max_file_bytes: int
) -> UploadForm:
    """Read the whole multipart body; raise `ApiError` for invalid input.

    The caller deletes `UploadForm.file_path`. On error no file is left.
    """
    reader = _open_multipart(body, content_type)
    form: UploadForm | None = None
    fields: dict[str, list[str]] = {}
    fields_size = 0
    try:
        for _ in range(MAX_PARTS):
            part = await _next_part(reader)
            if part is None:
                break
            if part.name != FILE_FIELD:
                value = await _read_text(part)
                fields_size += len(value)
                if fields_size > MAX_FIELDS_TOTAL_BYTES:
                    raise ApiError.bad_request(
                        f"The form fields other than '{FILE_FIELD}' are longer"
                        f" than {MAX_FIELDS_TOTAL_BYTES} characters in total."
                    )
                fields.setdefault(part.name or "", []).append(value)
            elif form is not None:
                raise ApiError.bad_request("Send one file per request.")
            else:
                form = await _store_file(part, temp_dir, max_file_bytes)
        else:
            raise ApiError.bad_request(
                f"The form has more than {MAX_PARTS} fields. Send the file and"
                " the paraphrase options only."
            )
    except BaseException:
        if form is not None:
            form.file_path.unlink(missing_ok=True)
        raise
    return _finish(form, fields)


def _finish(form: UploadForm | None, fields: dict[str, list[str]]) -> UploadForm:
    if form is None:
        raise ApiError.bad_request(
            f"The request has no '{FILE_FIELD}' field. Send the document in a"
            f" multipart/form-data field named '{FILE_FIELD}'."
        )
    if form.size == 0:
        form.file_path.unlink(missing_ok=True)
        raise ApiError.bad_request(
            f"The file '{form.file_name}' is empty. Choose a file with content."
        )
    form.fields = fields
    return form


def _open_multipart(body: BodyReader, content_type: str) -> MultipartReader:
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError.bad_request(
            "The request body must be multipart/form-data with a 'file' field."
        )
    try:
        return MultipartReader({"Content-Type": content_type}, body)
    except (ValueError, AssertionError):
        raise ApiError.bad_request(
            "The multipart/form-data Content-Type has no valid boundary."
        ) from None


async def _next_part(reader: MultipartReader) -> BodyPartReader | None:
    try:
        part = await reader.next()
    except (ValueError, AssertionError, HttpProcessingError):
        raise _malformed() from None
    if part is not None and not isinstance(part, BodyPartReader):
        raise ApiError.bad_request("Nested multipart bodies are not supported.")
    return part


async def _read_chunk(part: BodyPartReader) -> bytes:
    try:
        return await part.read_chunk(_CHUNK_SIZE)
    except (ValueError, AssertionError, HttpProcessingError):
        raise _malformed() from None


async def _read_text(part: BodyPartReader) -> str:
    data = bytearray()
    while chunk := await _read_chunk(part):
        data += chunk
        if len(data) > MAX_FIELD_BYTES:
            raise ApiError.bad_request(
                f"The field '{part.name}' is longer than {MAX_FIELD_BYTES} bytes."
                " Shorten it and send the form again."
            )
    try:
        return data.decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError):
        raise ApiError.bad_request(
            f"The field '{part.name}' is not valid UTF-8 text. Send it as UTF-8."
        ) from None


async def _store_file(
    part: BodyPartReader, temp_dir: Path, max_file_bytes: int
) -> UploadForm:
    """Write the file part to a new temporary file, counting its bytes."""
    file_name = clean_file_name(part.filename)
    path = temp_dir / f"{uuid.uuid4().hex}{_safe_suffix(file_name)}"
    size = 0
    try:
        # NOTE: chunks are written from the event loop thread, so a slow disk
        # delays other requests; page-cache writes of 64 KiB are short.
        with path.open("xb") as file:
            while chunk := await _read_chunk(part):
                size += len(chunk)
                if size > max_file_bytes:
                    raise _too_large(file_name, max_file_bytes)
                file.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return UploadForm(file_path=path, file_name=file_name, size=size)


def _safe_suffix(name: str) -> str:
    suffix = Path(name).suffix
    return suffix if _SAFE_SUFFIX.fullmatch(suffix) else ""


def _too_large(file_name: str, max_file_bytes: int) -> ApiError:
    return ApiError(
        413,
        "FILE_TOO_LARGE",
        f"The file '{file_name}' is larger than the limit of {max_file_bytes}"
        " bytes. Upload a smaller file.",
    )


def _malformed() -> ApiError:
    return ApiError.bad_request(
        "The request body is not valid multipart/form-data. Send the form again."
    )
