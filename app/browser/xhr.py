"""Upload transport on the browser's XMLHttpRequest.

XMLHttpRequest, unlike `fetch`, reports upload progress events and can be
aborted mid-body. The File object goes straight into a FormData, so the
browser streams it from disk and no file byte passes through Python. The
answer comes back as a Blob, which stays a JavaScript object too.
"""

from __future__ import annotations

import asyncio
import logging

import js
from pyodide.ffi import JsException, create_proxy

from app.browser.interop import is_null, optional_str
from app.errors import HttpError, NetworkError, UploadError
from app.transport import (
    TransferListener,
    UploadRequest,
    UploadResponse,
    filename_from_content_disposition,
)

__all__ = ["XhrTransport"]

log = logging.getLogger(__name__)


class XhrTransfer:
    """One XMLHttpRequest in flight."""

    def __init__(self, request: UploadRequest, listener: TransferListener) -> None:
        self._request = request
        self._listener = listener
        self._future: asyncio.Future = asyncio.get_event_loop().create_future()
        self._abort_error: UploadError | None = None
        self._proxies: list = []
        self._js_xhr = js.XMLHttpRequest.new()

    def send(self) -> None:
        js_xhr = self._js_xhr
        request = self._request
        js_xhr.open("POST", request.url)
        js_xhr.responseType = "blob"
        js_xhr.setRequestHeader("Authorization", f"Bearer {request.token}")
        js_xhr.setRequestHeader("Idempotency-Key", request.idempotency_key)

        self._listen(js_xhr.upload, "progress", self._on_progress)
        self._listen(js_xhr.upload, "load", self._on_body_sent)
        self._listen(js_xhr, "load", self._on_load)
        self._listen(js_xhr, "error", self._on_error)
        self._listen(js_xhr, "abort", self._on_abort)
        self._listen(js_xhr, "loadend", self._on_loadend)

        js_form = js.FormData.new()
        js_form.append("file", request.source, request.file_name)
        for name, value in request.fields:
            js_form.append(name, value)
        js_xhr.send(js_form)

    async def response(self) -> UploadResponse:
        return await self._future

    def abort(self, error: UploadError) -> None:
        if self._future.done():
            return
        self._abort_error = error
        self._js_xhr.abort()

    def _listen(self, js_target, event: str, handler) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        js_target.addEventListener(event, proxy)

    def _on_progress(self, js_event) -> None:
        if js_event.lengthComputable:
            self._listener.on_progress(int(js_event.loaded), int(js_event.total))

    def _on_body_sent(self, js_event) -> None:
        self._listener.on_body_sent()

    def _on_load(self, js_event) -> None:
        status = int(self._js_xhr.status)
        if 200 <= status < 300:
            self._resolve(self._success(status))
        else:
            asyncio.ensure_future(self._fail_with_status(status))

    def _on_error(self, js_event) -> None:
        self._reject(
            NetworkError(
                "The connection to the server failed or was closed.",
                file_id=None,
            )
        )

    def _on_abort(self, js_event) -> None:
        self._reject(self._abort_error or NetworkError("The request was aborted."))

    def _on_loadend(self, js_event) -> None:
        # Proxies are released after this event has finished dispatching.
        asyncio.get_event_loop().call_soon(self._release)

    def _release(self) -> None:
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies.clear()

    def _success(self, status: int) -> UploadResponse:
        js_xhr = self._js_xhr
        js_blob = js_xhr.response
        disposition = optional_str(js_xhr.getResponseHeader("Content-Disposition"))
        return UploadResponse(
            status=status,
            body=js_blob,
            file_name=filename_from_content_disposition(disposition),
            content_type=optional_str(js_xhr.getResponseHeader("Content-Type")) or "",
            size=0 if is_null(js_blob) else int(js_blob.size),
            history_id=optional_str(js_xhr.getResponseHeader("X-File-Id")),
        )

    async def _fail_with_status(self, status: int) -> None:
        js_xhr = self._js_xhr
        body = ""
        try:
            if not is_null(js_xhr.response):
                body = str(await js_xhr.response.text())
        except JsException as error:
            log.warning("Could not read the error body of HTTP %s: %s", status, error)
        headers = {}
        retry_after = optional_str(js_xhr.getResponseHeader("Retry-After"))
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        self._reject(HttpError.from_response(status, body, headers))

    def _resolve(self, response: UploadResponse) -> None:
        if not self._future.done():
            self._future.set_result(response)

    def _reject(self, error: UploadError) -> None:
        if not self._future.done():
            self._future.set_exception(error)


class XhrTransport:
    """Starts each upload as an XMLHttpRequest."""

    def start(self, request: UploadRequest, listener: TransferListener) -> XhrTransfer:
        transfer = XhrTransfer(request, listener)
        transfer.send()
        return transfer
