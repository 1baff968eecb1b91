"""SQLite storage for users, tokens, processed files and idempotency records.

One `Database` wraps one `sqlite3` connection. The server calls it only from
its event loop thread; each call is a short query, so it does not block the
loop for long. Tokens are stored as SHA-256 digests, never as given.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Database", "FileRecord", "RefreshTokenRecord", "UserRecord"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_salt BLOB NOT NULL,
    password_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    family_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS access_tokens_family ON access_tokens(family_id);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    family_id TEXT NOT NULL,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family_id);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    stored_path TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_user ON files(user_id, created_at);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id INTEGER NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    file_id TEXT NOT NULL REFERENCES files(id),
    PRIMARY KEY (user_id, idempotency_key)
);
"""


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    password_salt: bytes
    password_hash: bytes


@dataclass(frozen=True)
class RefreshTokenRecord:
    user_id: int
    family_id: str
    expires_at: float
    revoked: bool


@dataclass(frozen=True)
class FileRecord:
    """A processed file; `stored_path` is relative to the data directory."""

    id: str
    user_id: int
    file_name: str
    content_type: str
    size: int
    stored_path: str
    created_at: float


class Database:
    """Queries on the server's SQLite file."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.execute("PRAGMA foreign_keys = ON")
        self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        self._connection.close()

    # Users

    def save_user(self, username: str, salt: bytes, password_hash: bytes) -> None:
        """Create the user, or replace its password if it exists."""
        with self._connection:
            self._connection.execute(
                "INSERT INTO users (username, password_salt, password_hash)"
                " VALUES (?, ?, ?) ON CONFLICT(username) DO UPDATE SET"
                " password_salt = excluded.password_salt,"
                " password_hash = excluded.password_hash",
                (username, salt, password_hash),
            )

    def find_user(self, username: str) -> UserRecord | None:
        row = self._connection.execute(
            "SELECT id, username, password_salt, password_hash FROM users"
            " WHERE username = ?",
            (username,),
        ).fetchone()
        return UserRecord(*row) if row else None

    # Access tokens

    def add_access_token(
        self, token_hash: str, user_id: int, family_id: str, expires_at: float
    ) -> None:
        with self._connection:
            self._connection.execute(
                "INSERT INTO access_tokens VALUES (?, ?, ?, ?)",
                (token_hash, user_id, family_id, expires_at),
            )

    def find_access_token(self, token_hash: str) -> tuple[int, float] | None:
        """Return the user id and expiry time of an access token."""
        return self._connection.execute(
            "SELECT user_id, expires_at FROM access_tokens WHERE token_hash = ?",
            (token_hash,),
        ).fetchone()

    def delete_access_tokens_expired_before(self, timestamp: float) -> None:
        with self._connection:
            self._connection.execute(
                "DELETE FROM access_tokens WHERE expires_at < ?", (timestamp,)
            )

    # Refresh tokens

    def add_refresh_token(
        self, token_hash: str, user_id: int, family_id: str, expires_at: float
    ) -> None:
        with self._connection:
            self._connection.execute(
                "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, 0)",
                (token_hash, user_id, family_id, expires_at),
            )

    def find_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None:
        row = self._connection.execute(
            "SELECT user_id, family_id, expires_at, revoked FROM refresh_tokens"
            " WHERE token_hash = ?",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        user_id, family_id, expires_at, revoked = row
        return RefreshTokenRecord(user_id, family_id, expires_at, bool(revoked))

    def revoke_refresh_token(self, token_hash: str) -> bool:
        """Revoke one refresh token; return False if it was already revoked."""
        with self._connection:
            cursor = self._connection.execute(
                "UPDATE refresh_tokens SET revoked = 1"
                " WHERE token_hash = ? AND revoked = 0",
                (token_hash,),
            )
        return cursor.rowcount == 1

    def revoke_family(self, family_id: str) -> None:
        """Revoke every refresh token and delete every access token of a login."""
        with self._connection:
            self._connection.execute(
                "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?",
                (family_id,),
            )
            self._connection.execute(
                "DELETE FROM access_tokens WHERE family_id = ?", (family_id,)
            )

    # Processed files and idempotency records

    def add_file(self, record: FileRecord, idempotency_key: str | None) -> None:
        """Store a processed file and, with a key, the request's result."""
        with self._connection:
            self._connection.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.user_id,
                    record.file_name,
                    record.content_type,
                    record.size,
                    record.stored_path,
                    record.created_at,
                ),
            )
            if idempotency_key is not None:
                self._connection.execute(
                    "INSERT INTO idempotency_keys VALUES (?, ?, ?)",
                    (record.user_id, idempotency_key, record.id),
                )

    def find_file(self, file_id: str) -> FileRecord | None:
        row = self._connection.execute(
            "SELECT * FROM files WHERE id = ?", (file_id,)
        ).fetchone()
        return FileRecord(*row) if row else None

    def find_file_for_key(
        self, user_id: int, idempotency_key: str
    ) -> FileRecord | None:
        """Return the stored result of an earlier request with the same key."""
        row = self._connection.execute(
            "SELECT files.* FROM idempotency_keys"
            " JOIN files ON files.id = idempotency_keys.file_id"
            " WHERE idempotency_keys.user_id = ?"
            " AND idempotency_keys.idempotency_key = ?",
            (user_id, idempotency_key),
        ).fetchone()
        return FileRecord(*row) if row else None

    def list_files(self, user_id: int) -> list[FileRecord]:
        """Return a user's processed files, newest first."""
        rows = self._connection.execute(
            "SELECT * FROM files WHERE user_id = ?"
            " ORDER BY created_at DESC, rowid DESC",
            (user_id,),
        ).fetchall()
        return [FileRecord(*row) for row in rows]

    def delete_all_files(self) -> None:
        """Delete every file record and idempotency record."""
        with self._connection:
            self._connection.execute("DELETE FROM idempotency_keys")
            self._connection.execute("DELETE FROM files")
