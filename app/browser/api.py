"""JSON calls to the API through the browser's `fetch`: sign-in, history, health.

Uploads do not come through here; they need XMLHttpRequest for progress
events (see `app.browser.xhr`).
"""

from __future__ import annotations

import json
import logging

import js
from pyodide.ffi import JsException, to_js

from app.browser.interop import optional_str
from app.config import AppConfig
from app.errors import HttpError, NetworkError

__all__ = ["ApiClient", "Session"]

log = logging.getLogger(__name__)

# Time limits of JSON calls, so no sign-in or history request hangs forever.
_REQUEST_TIMEOUT_MS = 30_000
_HEALTH_TIMEOUT_MS = 5_000


class Session:
    """An access token and its lifetime, as the sign-in endpoints return them."""

    def __init__(self, token: str, expires_in: float) -> None:
        self.token = token
        self.expires_in = expires_in


class ApiClient:
    """Calls the API's JSON endpoints with the browser's `fetch`."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        # Cookies go with requests to the API's origin: the refresh cookie is
        # needed there even when the API is on another origin than the page.
        self._credentials = "include" if config.api_base_url else "same-origin"

    async def login(self, username: str, password: str) -> Session:
        payload = await self._json(
            "POST", "/api/auth/login", {"username": username, "password": password}
        )
        return _session(payload)

    async def refresh(self) -> Session:
        return _session(await self._json("POST", "/api/auth/refresh"))

    async def logout(self) -> None:
        await self._send("POST", "/api/auth/logout")

    async def history(self, token: str) -> list[dict]:
        payload = await self._json("GET", self.config.history_url, token=token)
        files = payload.get("files") if isinstance(payload, dict) else None
        return [entry for entry in files or [] if isinstance(entry, dict)]

    async def download(self, url: str, token: str):
        """Return the Blob at a history entry's download URL."""
        js_response = await self._send("GET", url, token=token)
        return await js_response.blob()

    async def health(self) -> bool:
        """Tell whether `GET /api/health` answers within a few seconds."""
        try:
            js_response = await self._fetch(
                "GET", "/api/health", None, None, timeout_ms=_HEALTH_TIMEOUT_MS
            )
        except NetworkError:
            return False
        return bool(js_response.ok)

    async def _json(
        self, method: str, path: str, body: dict | None = None, token: str | None = None
    ):
        js_response = await self._send(method, path, body, token=token)
        text = str(await js_response.text())
        try:
            return json.loads(text) if text else {}
        except ValueError as error:
            raise HttpError(
                int(js_response.status),
                "The server sent a response that is not JSON. Try again later.",
            ) from error

    async def _send(self, method: str, path: str, body=None, *, token=None):
        js_response = await self._fetch(method, path, body, token)
        if not js_response.ok:
            text = str(await js_response.text())
            headers = {}
            retry_after = optional_str(js_response.headers.get("Retry-After"))
            if retry_after is not None:
                headers["Retry-After"] = retry_after
            raise HttpError.from_response(int(js_response.status), text, headers)
        return js_response

    async def _fetch(
        self,
        method: str,
        path: str,
        body: dict | None,
        token: str | None,
        *,
        timeout_ms: int = _REQUEST_TIMEOUT_MS,
    ):
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        init = {"method": method, "headers": headers, "credentials": self._credentials}
        if body is not None:
            headers["Content-Type"] = "application/json"
            init["body"] = json.dumps(body)
        if method == "GET":
            init["cache"] = "no-store"
        url = self.config.api_url(path)
        js_init = to_js(init, dict_converter=js.Object.fromEntries)
        js_init.signal = js.AbortSignal.timeout(timeout_ms)
        try:
            return await js.fetch(url, js_init)
        except JsException as error:
            raise NetworkError(
                "The server could not be reached. Check your connection and try again."
            ) from error


def _session(payload) -> Session:
    token = payload.get("accessToken") if isinstance(payload, dict) else None
    expires_in = payload.get("expiresIn") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not isinstance(expires_in, (int, float)):
        raise HttpError(
            200, "The server's sign-in answer lacks a token. Try signing in again."
        )
    return Session(token, float(expires_in))
