"""The interface between the upload manager and whatever sends the requests.

The browser adapter implements it with XMLHttpRequest; the tests implement
it with scripted fakes. A `Transfer` is one request in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from app.errors import UploadError

__all__ = [
    "Transfer",
    "TransferListener",
    "Transport",
    "UploadRequest",
    "UploadResponse",
    "filename_from_content_disposition",
]


@dataclass(frozen=True)
class UploadRequest:
    """One attempt to upload one file."""

    url: str
    token: str
    idempotency_key: str
    source: Any  # the browser's File object, handed to FormData untouched
    file_name: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class UploadResponse:
    """A successful answer: the processed file and what the server said of it."""

    status: int
    body: Any  # the browser's Blob with the processed file
    file_name: str | None
    content_type: str
    size: int
    history_id: str | None = None


class TransferListener(Protocol):
    def on_progress(self, loaded: int, total: int) -> None:
        """Receive the number of body bytes sent so far."""

    def on_body_sent(self) -> None:
        """Receive notice that the whole body has been handed to the network."""


class Transfer(Protocol):
    async def response(self) -> UploadResponse:
        """Wait for the answer; raise an `UploadError` subclass on failure."""

    def abort(self, error: UploadError) -> None:
        """Stop the request; `response()` then raises `error`."""


class Transport(Protocol):
    def start(self, request: UploadRequest, listener: TransferListener) -> Transfer:
        """Send the request and return at once."""


def filename_from_content_disposition(value: str | None) -> str | None:
    """Return the file name of a `Content-Disposition` header, if it has one.

    `filename*` (RFC 6266 and RFC 8187, UTF-8 percent-encoded) wins over the
    plain `filename` parameter. Path separators are replaced, so the result
    is only ever a name.
    """
    if not value:
        return None
    plain = extended = None
    for part in value.split(";")[1:]:
        key, _, raw = part.strip().partition("=")
        key = key.strip().lower()
        raw = raw.strip()
        if key == "filename*":
            charset, _, rest = raw.partition("'")
            _, _, encoded = rest.partition("'")
            if charset.lower() in ("utf-8", "") and encoded:
                extended = unquote(encoded, encoding="utf-8", errors="replace")
        elif key == "filename":
            plain = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    name = extended or plain
    if not name:
        return None
    return name.replace("/", "_").replace("\\", "_")
