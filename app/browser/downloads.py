"""Browser downloads of processed files held as Blobs."""

from __future__ import annotations

import js

__all__ = ["save_url"]


def save_url(url: str, file_name: str) -> None:
    """Start a browser download of an object URL under `file_name`."""
    js_link = js.document.createElement("a")
    js_link.href = url
    js_link.download = file_name
    js_link.hidden = True
    js.document.body.appendChild(js_link)
    js_link.click()
    js_link.remove()
