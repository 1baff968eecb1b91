"""Token refresh shared by the tabs of one browser: Web Locks and BroadcastChannel.

Every tab of the app shares one refresh cookie, and the server rotates it on
each refresh: a second refresh sent with the old cookie counts as reuse and
revokes the whole session. So each tab refreshes only while it holds the Web
Lock `LOCK_NAME`, and hands the new access token to the other tabs over the
BroadcastChannel `CHANNEL_NAME`, posted before the lock is released. A tab
that waited for the lock and received a token meanwhile uses it and sends no
refresh. The browser does not order the message before the lock grant, so a
waiting tab may still refresh, but it then sends the newest cookie: the
browser stores the rotated cookie before the tab holding the lock receives
the response.

The decisions (single flight, when to refresh, what a 401 means) stay in
`app.auth.TokenManager`; this module only moves tokens between tabs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable

import js
from pyodide.ffi import JsException, create_once_callable, create_proxy

from app.auth import RefreshFailed, RefreshResult, SessionState, TokenManager
from app.browser.api import ApiClient
from app.errors import HttpError

__all__ = ["CHANNEL_NAME", "LOCK_NAME", "TabSessionSync"]

log = logging.getLogger(__name__)

LOCK_NAME = "uploader-token-refresh"
CHANNEL_NAME = "uploader-session"

# The smallest lifetime, in seconds, passed on for a token received from
# another tab, so a token about to expire is still accepted as a token.
_MIN_EXPIRES_IN = 1.0


class TabSessionSync:
    """Refresh transport for `TokenManager` that coordinates with other tabs.

    `refresh` is the manager's `refresh_transport`. Call `attach` once the
    manager exists.
    """

    def __init__(self, api: ApiClient) -> None:
        self._api = api
        self._tokens: TokenManager | None = None
        self._channel = None
        self._listener = None
        if _has_global("BroadcastChannel"):
            self._channel = js.BroadcastChannel.new(CHANNEL_NAME)
            self._listener = create_proxy(self._on_message)
            self._channel.addEventListener("message", self._listener)
        else:
            log.warning("BroadcastChannel is missing: tabs refresh on their own")

    def attach(self, tokens: TokenManager) -> None:
        self._tokens = tokens

    async def refresh(self) -> RefreshResult:
        """Refresh the access token while holding the cross-tab lock.

        Raises `RefreshFailed` when the server rejects the refresh cookie,
        and `NetworkError` or `HttpError` when the refresh could not be
        completed.
        """
        token_before = self._tokens.token if self._tokens else None
        return await _with_lock(LOCK_NAME, lambda: self._refresh_locked(token_before))

    async def _refresh_locked(self, token_before: str | None) -> RefreshResult:
        received = self._token_received_since(token_before)
        if received is not None:
            log.info("Using the access token another tab refreshed")
            return received
        try:
            session = await self._api.refresh()
        except HttpError as error:
            if error.status in (401, 403):
                raise RefreshFailed(
                    error.message, status=error.status, code=error.code
                ) from error
            raise
        log.info("Access token refreshed, valid for %g s", session.expires_in)
        result = RefreshResult(session.token, session.expires_in)
        self._broadcast(result)
        return result

    def _token_received_since(self, token_before: str | None) -> RefreshResult | None:
        """Return the token another tab handed over while this tab waited."""
        tokens = self._tokens
        if tokens is None or tokens.state is not SessionState.ACTIVE:
            return None
        if tokens.token is None or tokens.token == token_before:
            return None
        remaining = (tokens.expires_at or 0.0) - time.monotonic()
        return RefreshResult(tokens.token, max(_MIN_EXPIRES_IN, remaining))

    def _broadcast(self, result: RefreshResult) -> None:
        """Send a token this tab refreshed to the other tabs."""
        if self._channel is None:
            return
        message = {"type": "token", "token": result.token, "expiresIn": result.expires_in}
        self._channel.postMessage(json.dumps(message))

    def _on_message(self, js_event) -> None:
        tokens = self._tokens
        try:
            message = json.loads(str(js_event.data))
        except ValueError:
            log.warning("Ignored a session message that is not JSON")
            return
        if not isinstance(message, dict) or message.get("type") != "token":
            return
        token = message.get("token")
        expires_in = message.get("expiresIn")
        if not isinstance(token, str) or not isinstance(expires_in, (int, float)):
            log.warning("Ignored a token message without a token or lifetime")
            return
        # Only a tab signed in to the same session takes the token: a tab at
        # the sign-in form waits for its own sign-in.
        if tokens is None or tokens.state is not SessionState.ACTIVE:
            return
        tokens.token_received_from_other_tab(token, max(_MIN_EXPIRES_IN, expires_in))
        log.info("Received an access token from another tab")


def _has_global(name: str) -> bool:
    return bool(js.eval(f"typeof {name} !== 'undefined'"))


async def _with_lock(name: str, work: Callable[[], Awaitable[RefreshResult]]):
    """Run `work` while this tab holds the Web Lock `name`.

    Browsers without the Web Locks API run it without a lock.
    """
    if not js.eval("typeof navigator !== 'undefined' && !!navigator.locks"):
        return await work()

    loop = asyncio.get_running_loop()
    granted: asyncio.Future[None] = loop.create_future()
    release: list = []

    def on_granted(js_lock):
        # The lock is held until the returned promise settles.
        promise = js.Promise.new(
            create_once_callable(lambda resolve, reject: release.append(resolve))
        )
        if granted.done():
            # The waiter was cancelled before the lock came, so release it now.
            release[0]()
        else:
            granted.set_result(None)
        return promise

    request = asyncio.ensure_future(
        _await_promise(js.navigator.locks.request(name, create_once_callable(on_granted)))
    )
    try:
        await asyncio.wait({granted, request}, return_when=asyncio.FIRST_COMPLETED)
        if not granted.done():
            # The lock request failed before the lock was granted.
            request.result()
            raise RuntimeError(f"The Web Lock {name!r} request ended without the lock.")
        return await work()
    finally:
        if release:
            release[0]()
        else:
            granted.cancel()
        try:
            await request
        except JsException as error:
            log.warning("The refresh lock request failed: %s", error)


async def _await_promise(js_promise):
    return await js_promise
