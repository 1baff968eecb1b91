"""Passwords, access tokens and rotating refresh tokens, without HTTP.

An access token is an opaque random string that expires after
`LiveConfig.access_token_ttl` seconds. A sign-in also starts a family of
refresh tokens: each refresh revokes the token it was given and issues the
next one. A revoked token presented again means a copy of it leaked, so the
whole family, and the access tokens issued from it, is revoked.

One exception covers a refresh response lost on its way back, as when the
page reloads or the connection drops during a refresh: the browser still
holds the token just rotated. For `REUSE_GRACE_SECONDS` after a rotation,
that token may be presented again as long as its successor was never used.
The successor is then revoked and a new one issued. A thief who replays it
in that window causes the same replacement, so the holder of the replaced
successor presents a revoked token at its next refresh and the family is
revoked then.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from .db import Database, RefreshTokenRecord
from .settings import LiveConfig

log = logging.getLogger(__name__)

__all__ = ["IssuedTokens", "TokenError", "TokenService", "hash_password"]

# scrypt cost: n=2**14, r=8 uses 16 MiB and about 50 ms per hash.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SALT_BYTES = 16
_TOKEN_BYTES = 32
# Expired access tokens are kept this long so a client that sends one gets
# AUTH_EXPIRED instead of AUTH_INVALID.
_EXPIRED_TOKEN_RETENTION = 24 * 3600
# Seconds after a rotation during which the rotated token may be presented
# again, once, in place of a successor that was never used.
REUSE_GRACE_SECONDS = 30.0


@dataclass
class _Rotation:
    """The latest rotation of a family: the token rotated and its successor."""

    rotated_hash: str
    successor_hash: str
    rotated_at: float


class TokenError(Exception):
    """A token or password was rejected; `code` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    # Lifetimes in seconds.
    expires_in: int
    refresh_token: str
    refresh_max_age: int


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P
    )


def verify_password(password: str, salt: bytes, expected_hash: bytes) -> bool:
    return hmac.compare_digest(hash_password(password, salt), expected_hash)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    """Issues, checks, rotates and revokes tokens stored in the database."""

    def __init__(
        self,
        db: Database,
        config: LiveConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        # Latest rotation per family id, for the reuse grace window. It lives
        # in memory, so a restarted server applies no grace to older tokens.
        self._rotations: dict[str, _Rotation] = {}

    def set_password(self, username: str, password: str) -> None:
        """Create the user, or give the existing user this password."""
        salt = secrets.token_bytes(_SALT_BYTES)
        self._db.save_user(username, salt, hash_password(password, salt))

    async def check_password(self, username: str, password: str) -> int | None:
        """Return the user's id if the password matches, else None.

        scrypt runs in a worker thread so the event loop keeps serving.
        """
        user = self._db.find_user(username)
        if user is None:
            # Hash anyway so the response time does not reveal unknown names.
            salt, expected = b"\0" * _SALT_BYTES, b""
        else:
            salt, expected = user.password_salt, user.password_hash
        matches = await asyncio.to_thread(verify_password, password, salt, expected)
        return user.id if user is not None and matches else None

    def start_session(self, user_id: int) -> IssuedTokens:
        """Issue the first tokens of a new refresh token family."""
        now = self._clock()
        self._db.delete_access_tokens_expired_before(now - _EXPIRED_TOKEN_RETENTION)
        return self._issue(user_id, secrets.token_hex(16), now)

    def rotate(self, refresh_token: str | None) -> IssuedTokens:
        """Revoke `refresh_token` and issue its successor.

        Presenting a revoked token again revokes the family, except within
        the grace window that the module docstring describes. Clients that
        share one cookie must still refresh one at a time (the app's tabs
        take a Web Lock), because the second of two simultaneous refreshes
        replaces the first one's successor.
        """
        record = self._find_refresh(refresh_token)
        token_hash = _digest(refresh_token)
        now = self._clock()
        if record.revoked or not self._db.revoke_refresh_token(token_hash):
            if not self._replace_lost_successor(record, token_hash, now):
                self._revoke_family(record.family_id)
                raise TokenError(
                    "REFRESH_INVALID",
                    "This refresh token was already used, so every session from"
                    " that sign-in is now revoked. Sign in again.",
                )
        if record.expires_at <= now:
            raise TokenError(
                "REFRESH_INVALID", "The session has expired. Sign in again."
            )
        rotation = self._rotations.get(record.family_id)
        rotated_at = now
        if rotation is not None and rotation.rotated_hash == token_hash:
            # A repeat within the grace window keeps the window's start.
            rotated_at = rotation.rotated_at
        issued = self._issue(record.user_id, record.family_id, now)
        self._rotations[record.family_id] = _Rotation(
            token_hash, _digest(issued.refresh_token), rotated_at
        )
        return issued

    def _replace_lost_successor(
        self, record: RefreshTokenRecord, token_hash: str, now: float
    ) -> bool:
        """Revoke the unused successor of a token rotated moments ago.

        Return False, leaving everything as it is, when the token is not the
        family's latest rotated one, the grace window has passed, or the
        successor was already used or revoked.
        """
        rotation = self._rotations.get(record.family_id)
        if rotation is None or rotation.rotated_hash != token_hash:
            return False
        if now - rotation.rotated_at > REUSE_GRACE_SECONDS:
            return False
        successor = self._db.find_refresh_token(rotation.successor_hash)
        if successor is None or successor.revoked:
            return False
        if not self._db.revoke_refresh_token(rotation.successor_hash):
            return False
        log.info(
            "Refresh token of family %s presented again %.1f s after its"
            " rotation; its unused successor is replaced",
            record.family_id,
            now - rotation.rotated_at,
        )
        return True

    def _revoke_family(self, family_id: str) -> None:
        self._rotations.pop(family_id, None)
        self._db.revoke_family(family_id)

    def end_session(self, refresh_token: str | None) -> None:
        """Revoke the family of `refresh_token`; unknown tokens are ignored."""
        if not refresh_token:
            return
        record = self._db.find_refresh_token(_digest(refresh_token))
        if record is not None:
            self._revoke_family(record.family_id)

    def user_for_access_token(self, token: str | None) -> int:
        """Return the user id an access token belongs to."""
        found = self._db.find_access_token(_digest(token)) if token else None
        if found is None:
            raise TokenError(
                "AUTH_INVALID",
                "The access token is missing or invalid. Sign in again.",
            )
        user_id, expires_at = found
        if expires_at <= self._clock():
            raise TokenError(
                "AUTH_EXPIRED",
                "The access token has expired. Get a new one from"
                " /api/auth/refresh and send the request again.",
            )
        return user_id

    def _find_refresh(self, refresh_token: str | None) -> RefreshTokenRecord:
        record = None
        if refresh_token:
            record = self._db.find_refresh_token(_digest(refresh_token))
        if record is None:
            raise TokenError(
                "REFRESH_INVALID",
                "The refresh token is missing or unknown. Sign in again.",
            )
        return record

    def _issue(self, user_id: int, family_id: str, now: float) -> IssuedTokens:
        access_ttl = self._config.access_token_ttl
        refresh_ttl = self._config.refresh_token_ttl
        access_token = secrets.token_urlsafe(_TOKEN_BYTES)
        refresh_token = secrets.token_urlsafe(_TOKEN_BYTES)
        self._db.add_access_token(
            _digest(access_token), user_id, family_id, now + access_ttl
        )
        self._db.add_refresh_token(
            _digest(refresh_token), user_id, family_id, now + refresh_ttl
        )
        return IssuedTokens(access_token, access_ttl, refresh_token, refresh_ttl)
