"""Access token in memory, single-flight refresh and the 401 policy.

The API authenticates uploads with a short-lived access token sent as
`Authorization: Bearer …`. The token lives only in this process's memory,
never in storage. A refresh cookie, which page code cannot read, lets the
adapter obtain a new token from `POST /api/auth/refresh`.

This module does no I/O. It provides:

- `decide_on_auth_error`, a pure function that maps a 401 to an `AuthAction`.
- `TokenManager`, which stores the token and runs at most one refresh at a
  time. Every upload that failed with an expired token awaits that refresh.
  Its `send_with_token` applies the same policy to one short request.
- `RefreshResult`, `RefreshFailed`, `SessionExpired` and `SignedOut`, the
  values and errors exchanged with the refresh transport and the caller.

Cross-tab coordination (Web Locks, BroadcastChannel) belongs to the adapter,
which feeds tokens from other tabs to `token_received_from_other_tab`.
Example of the caller's loop for one request::

    action = decide_on_auth_error(error, token_used, manager.token, replayed)
    if action is AuthAction.REFRESH_AND_REPLAY:
        token = await manager.refresh_after_expiry(token_used)
    elif action is AuthAction.REPLAY_WITH_CURRENT:
        token = manager.token
    else:
        ...  # mark the item auth-required
"""

from __future__ import annotations

import asyncio
import enum
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from app.errors import AuthError, UploaderError

__all__ = [
    "AuthAction",
    "RefreshFailed",
    "RefreshResult",
    "SessionExpired",
    "SessionState",
    "SignedOut",
    "TokenManager",
    "decide_on_auth_error",
]


T = TypeVar("T")

_SESSION_EXPIRED_MESSAGE = (
    "Your session has expired. Sign in again to continue the uploads."
)


class RefreshFailed(UploaderError):
    """The server rejected the refresh cookie, so the session is over.

    The refresh transport raises it only for that case (HTTP 401 or 403 from
    the refresh endpoint). A network failure or a 5xx must be raised as
    `NetworkError` or `HttpError` instead, because the session may still be
    valid. The manager passes those to its waiters unchanged.
    """

    def __init__(
        self,
        message: str = "The server rejected the session refresh.",
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class SessionExpired(UploaderError):
    """No valid session remains, so the user must sign in before uploads go on.

    The caller marks affected items auth-required instead of failing them.
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _SESSION_EXPIRED_MESSAGE)


class SignedOut(SessionExpired):
    """The user signed out in this tab (`TokenManager.clear`)."""

    def __init__(self) -> None:
        super().__init__("You signed out. Sign in again to continue the uploads.")


@dataclass(frozen=True)
class RefreshResult:
    """A new access token and its lifetime in seconds."""

    token: str
    expires_in: float

    def __post_init__(self) -> None:
        _validate_token(self.token, self.expires_in)

    def __repr__(self) -> str:
        # The token is a secret, so the representation leaves it out.
        return f"RefreshResult(token=<hidden>, expires_in={self.expires_in!r})"


def _validate_token(token: str, expires_in: float) -> None:
    if not isinstance(token, str) or not token:
        raise ValueError("The access token must be a non-empty string.")
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
        raise ValueError(
            f"expires_in must be a number of seconds, got {expires_in!r}."
        )
    if not math.isfinite(expires_in) or expires_in <= 0:
        raise ValueError(
            f"expires_in must be greater than 0 seconds, got {expires_in!r}."
        )


class AuthAction(enum.Enum):
    """Next step for a request that got 401."""

    # Await `TokenManager.refresh_after_expiry(token_used)`, then send the
    # request once more with the token it returns.
    REFRESH_AND_REPLAY = "refresh_and_replay"
    # Another request already refreshed: send once more with the current token.
    REPLAY_WITH_CURRENT = "replay_with_current"
    # Stop and mark the item auth-required until the user signs in.
    SIGN_IN_REQUIRED = "sign_in_required"


def decide_on_auth_error(
    error: AuthError,
    token_used: str | None,
    current_token: str | None,
    already_replayed: bool,
) -> AuthAction:
    """Choose what to do after a request sent with `token_used` got 401.

    `already_replayed` is True when this request was itself the replay of an
    earlier request that got 401. A 401 on a replay always returns
    SIGN_IN_REQUIRED, so a request is replayed at most once and never causes
    a second refresh.

    A replay is not a retry: the caller sends it without counting an attempt
    and without a retry delay, because the first request never reached the
    upload handler.

    `AUTH_INVALID` requires sign-in. `AUTH_EXPIRED`, and a 401 without the
    API's error code (as a proxy may send), get one refresh and replay.
    """
    if already_replayed:
        return AuthAction.SIGN_IN_REQUIRED
    if error.code is not None and not error.expired:
        return AuthAction.SIGN_IN_REQUIRED

    if current_token is not None and current_token != token_used:
        return AuthAction.REPLAY_WITH_CURRENT
    return AuthAction.REFRESH_AND_REPLAY


class SessionState(enum.Enum):
    """Lifecycle of the session, as far as the manager can tell."""

    # No token in memory yet, as after a page load. A refresh may restore it.
    UNKNOWN = "unknown"
    # A token is in memory. It may be expired, but no refresh was rejected.
    ACTIVE = "active"
    # The server rejected a refresh. Only a new sign-in restores the session.
    EXPIRED = "expired"
    # `clear()` was called because the user signed out in this tab.
    SIGNED_OUT = "signed_out"


class TokenManager:
    """Access token holder with a single-flight refresh.

    `refresh_transport()` sends `POST /api/auth/refresh` and returns a
    `RefreshResult`, or raises `RefreshFailed` when the server rejects the
    refresh cookie. Any other exception means the refresh could not be
    completed. Waiters get it unchanged and the session state stays as it was.
    The transport must finish on its own, so the adapter sets a request
    timeout on the refresh request.

    Hooks:

    - `on_token(token)` is called when a refresh made by this manager obtains
      a new token, so the adapter can share it with other tabs. It is not
      called for `set_token` or `token_received_from_other_tab`.
    - `on_session_expired()` is called once each time the server rejects a
      refresh, however many requests were waiting for it.

    Hooks run after the waiters have been given their result, so an
    exception in a hook cannot leave a waiter hanging.
    """

    def __init__(
        self,
        refresh_transport: Callable[[], Awaitable[RefreshResult]],
        *,
        clock: Callable[[], float] = time.monotonic,
        on_token: Callable[[str], None] | None = None,
        on_session_expired: Callable[[], None] | None = None,
    ) -> None:
        self._refresh_transport = refresh_transport
        self._clock = clock
        self._on_token = on_token
        self._on_session_expired = on_session_expired

        self._state = SessionState.UNKNOWN
        self._token: str | None = None
        self._expires_at: float | None = None
        # The outcome of the refresh in flight, shared by all its waiters.
        self._refresh: asyncio.Future[str] | None = None
        self._refresh_tasks: set[asyncio.Task[None]] = set()

    @property
    def token(self) -> str | None:
        """The current access token, or None when there is none."""
        return self._token

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def expires_at(self) -> float | None:
        """The clock time at which the current token expires, or None."""
        return self._expires_at

    @property
    def refreshing(self) -> bool:
        """Whether a refresh is in flight."""
        return self._refresh is not None

    def needs_refresh(self, now: float | None = None, margin: float = 60.0) -> bool:
        """Return whether the token expires within `margin` seconds of `now`.

        Only an ACTIVE session with a known expiry needs a proactive refresh.
        `now` defaults to the injected clock.
        """
        if self._state is not SessionState.ACTIVE or self._expires_at is None:
            return False
        if now is None:
            now = self._clock()
        return now >= self._expires_at - margin

    def set_token(self, token: str, expires_in: float) -> None:
        """Store the token that a sign-in in this tab returned.

        Requests waiting for a refresh in flight get this token, and the
        refresh's own result is ignored when it arrives.
        """
        self._accept_token(token, expires_in)

    def token_received_from_other_tab(self, token: str, expires_in: float) -> None:
        """Store a token that another tab obtained, without any request.

        Requests waiting for a refresh in flight get this token, and the
        refresh's own result is ignored when it arrives.
        """
        self._accept_token(token, expires_in)

    def clear(self) -> None:
        """Forget the token when the user signs out.

        A refresh in flight is abandoned: its waiters raise `SignedOut` at
        once, and its result is ignored when it arrives. Until the next
        `set_token` or token from another tab, `refresh_after_expiry` raises
        `SignedOut` without a request. `on_session_expired` is not called,
        because the user chose to end the session.
        """
        self._token = None
        self._expires_at = None
        self._state = SessionState.SIGNED_OUT
        self._settle_refresh(error=SignedOut())

    async def refresh_after_expiry(self, failed_token: str | None) -> str:
        """Return a token to replay a request that got 401 with `failed_token`.

        - The current token differs from `failed_token`: someone already
          refreshed, so it is returned without a request.
        - A refresh is in flight: this call awaits it and starts no other.
        - The session is EXPIRED or SIGNED_OUT: raises `SessionExpired` or
          `SignedOut` without a request.
        - Otherwise exactly one refresh starts.

        Every waiter of one refresh gets the same token or the same error:
        `SessionExpired` when the server rejected the refresh, or the
        transport's own exception (such as `NetworkError`) when it could not
        be completed. Cancelling one waiter does not cancel the refresh.
        """
        if self._token is not None and self._token != failed_token:
            return self._token
        if self._refresh is None:
            if self._state is SessionState.SIGNED_OUT:
                raise SignedOut()
            if self._state is SessionState.EXPIRED:
                raise SessionExpired()
        return await self.refresh()

    async def send_with_token(self, send: Callable[[str], Awaitable[T]]) -> T:
        """Run `send(token)` and, after a 401 with an expired token, once more.

        For short requests such as the history list and downloads. The
        second call gets the token of the shared refresh. Raises
        `SessionExpired` (or `SignedOut`) when there is no token or the
        refresh was rejected, and the `AuthError` of a 401 that needs sign-in.
        """
        token = self._token
        if token is None:
            if self._state is SessionState.SIGNED_OUT:
                raise SignedOut()
            raise SessionExpired()
        try:
            return await send(token)
        except AuthError as error:
            action = decide_on_auth_error(error, token, self._token, False)
            if action is AuthAction.SIGN_IN_REQUIRED:
                raise
            if action is AuthAction.REFRESH_AND_REPLAY:
                token = await self.refresh_after_expiry(token)
            else:
                token = self._token
        return await send(token)

    async def refresh(self) -> str:
        """Refresh the token, or join the refresh in flight, and return it.

        Unlike `refresh_after_expiry` this always sends a request when none is
        in flight, whatever the session state. Use it to restore the session
        after a page load, for a proactive refresh, or when the user asks to
        reconnect.
        """
        if self._refresh is None:
            loop = asyncio.get_running_loop()
            self._refresh = loop.create_future()
            task = loop.create_task(self._run_refresh(self._refresh))
            # The event loop keeps only a weak reference to a task, so the
            # manager holds each one until it ends. A refresh abandoned by
            # clear() may still run while a newer one starts.
            self._refresh_tasks.add(task)
            task.add_done_callback(self._refresh_tasks.discard)

        # The shield keeps a cancelled waiter from cancelling the shared future.
        return await asyncio.shield(self._refresh)

    async def _run_refresh(self, outcome: asyncio.Future[str]) -> None:
        try:
            result = await self._refresh_transport()
            if not isinstance(result, RefreshResult):
                kind = type(result).__name__
                raise TypeError(
                    f"refresh_transport must return a RefreshResult, got {kind}."
                )
        except RefreshFailed as exc:
            if outcome is self._refresh:
                self._expire_session(exc)
            return
        except asyncio.CancelledError:
            # Nothing in the manager cancels this task, so this runs only when
            # the event loop shuts down.
            if outcome is self._refresh:
                self._refresh = None
                outcome.cancel()
            raise
        except Exception as exc:
            if outcome is self._refresh:
                self._settle_refresh(error=exc)
            return

        if outcome is not self._refresh:
            # A sign-in, a token from another tab or clear() settled the
            # waiters while this request was in flight.
            return
        self._store_token(result.token, result.expires_in)
        self._settle_refresh(token=result.token)
        if self._on_token is not None:
            self._on_token(result.token)

    def _expire_session(self, cause: RefreshFailed) -> None:
        self._token = None
        self._expires_at = None
        self._state = SessionState.EXPIRED

        error = SessionExpired()
        error.__cause__ = cause
        self._settle_refresh(error=error)
        if self._on_session_expired is not None:
            self._on_session_expired()

    def _accept_token(self, token: str, expires_in: float) -> None:
        _validate_token(token, expires_in)
        self._store_token(token, expires_in)
        self._settle_refresh(token=token)

    def _store_token(self, token: str, expires_in: float) -> None:
        self._token = token
        self._expires_at = self._clock() + expires_in
        self._state = SessionState.ACTIVE

    def _settle_refresh(
        self, *, token: str | None = None, error: BaseException | None = None
    ) -> None:
        """Give the refresh in flight, if any, its outcome and forget it."""
        outcome, self._refresh = self._refresh, None
        if outcome is None or outcome.done():
            return

        if error is not None:
            outcome.set_exception(error)
            # Marks the error as retrieved, so asyncio does not log it when
            # every waiter was cancelled.
            outcome.exception()
        else:
            outcome.set_result(token)
