"""Settings of the upload manager and their validation.

The page reads them from an optional `config.json` beside `index.html`;
every key is optional and missing keys keep the defaults below. A wrong
value raises `ConfigError` with a message that names the key, the value
and the accepted range, and the page shows that message.

Example `config.json`::

    {"apiBaseUrl": "https://api.example.com", "concurrency": 4,
     "maxFileBytes": 52428800}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from app.errors import ConfigError

__all__ = ["AppConfig", "MIB"]

MIB = 1024 * 1024

UPLOAD_PATH = "/p-v2/api/files/file-paraphrase"
HISTORY_PATH = "/p-v2/api/files/history"


@dataclass(frozen=True)
class AppConfig:
    """Settings of the upload manager; defaults suit the reference server."""

    # Base URL of the API, such as "https://api.example.com" or
    # "https://example.com/backend"; empty means the page's own origin. An API
    # on another origin must allow this page's origin with CORS credentials.
    api_base_url: str = ""
    # Files larger than this fail before upload. The reference server's
    # default limit is also 50 MiB.
    max_file_bytes: int = 50 * MIB
    allowed_extensions: tuple[str, ...] = (".txt", ".md", ".docx")
    # Uploads running at the same time.
    concurrency: int = 3
    # Seconds without upload progress before an attempt counts as stalled.
    stall_timeout: float = 30.0
    # Seconds to wait for the answer once the whole body is sent.
    processing_timeout: float = 300.0
    # Retry policy: automatic retries after the first attempt, and the
    # exponential backoff in seconds.
    max_retries: int = 3
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 10.0
    max_retry_after: float = 60.0
    # Files accepted in one selection or drop.
    max_files_per_selection: int = 5000
    # Files up to this size are kept in IndexedDB, so a reload resumes them.
    # The browser copies a kept file's content into its own storage, which
    # for a large file costs disk space and competes with the upload, so a
    # larger file must be selected again after a reload. 0 keeps none.
    max_kept_file_bytes: int = 100 * MIB

    def __post_init__(self) -> None:
        _check_range("concurrency", self.concurrency, 1, 16)
        _check_range("maxFileBytes", self.max_file_bytes, 1, 64 * 1024 * MIB)
        _check_range("stallTimeout", self.stall_timeout, 1, 3600)
        _check_range("processingTimeout", self.processing_timeout, 1, 24 * 3600)
        _check_range("maxRetries", self.max_retries, 0, 20)
        _check_range("initialDelay", self.initial_delay, 0, 3600)
        _check_range("multiplier", self.multiplier, 1, 10)
        _check_range("maxDelay", self.max_delay, 0, 3600)
        _check_range("maxRetryAfter", self.max_retry_after, 0, 24 * 3600)
        _check_range("maxFilesPerSelection", self.max_files_per_selection, 1, 100_000)
        _check_range("maxKeptFileBytes", self.max_kept_file_bytes, 0, 64 * 1024 * MIB)
        if self.max_delay < self.initial_delay:
            raise ConfigError(
                f"Setting maxDelay ({self.max_delay:g}) is less than initialDelay "
                f"({self.initial_delay:g}); make maxDelay at least initialDelay."
            )
        if self.api_base_url:
            _check_api_base_url(self.api_base_url)
        if not self.allowed_extensions:
            raise ConfigError(
                "Setting allowedExtensions is empty, so no file could be added; "
                'list at least one extension, such as [".txt"].'
            )
        for extension in self.allowed_extensions:
            if not extension.startswith(".") or len(extension) < 2:
                raise ConfigError(
                    f"Setting allowedExtensions must list extensions such as "
                    f"\".txt\", got {extension!r}."
                )

    @property
    def upload_url(self) -> str:
        return self.api_url(UPLOAD_PATH)

    @property
    def history_url(self) -> str:
        return self.api_url(HISTORY_PATH)

    def api_url(self, path: str) -> str:
        """Join an API path to the base URL; absolute URLs pass unchanged."""
        if path.startswith(("http://", "https://")):
            return path
        return self.api_base_url.rstrip("/") + path

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> AppConfig:
        """Build the settings from `config.json` keys, written in camelCase."""
        if not isinstance(values, Mapping):
            raise ConfigError(
                "The configuration must be a JSON object such as "
                '{"concurrency": 3}.'
            )
        known = {_camel_case(item.name): item for item in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            item = known.get(key)
            if item is None:
                raise ConfigError(
                    f"Unknown setting {key!r}. Known settings: "
                    + ", ".join(sorted(known))
                    + "."
                )
            kwargs[item.name] = _convert(key, value, getattr(cls, item.name))
        return cls(**kwargs)


def _camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _convert(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool) or isinstance(value, bool):
        raise ConfigError(f"Setting {key} must be a number, got {value!r}.")
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"Setting {key} must be a list of strings, got {value!r}.")
        return tuple(v.lower() for v in value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"Setting {key} must be a string, got {value!r}.")
        return value.strip()
    if isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(value, int):
            raise ConfigError(f"Setting {key} must be a whole number, got {value!r}.")
        return value
    if not isinstance(value, (int, float)):
        raise ConfigError(f"Setting {key} must be a number, got {value!r}.")
    return float(value)


def _check_api_base_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"Setting apiBaseUrl must start with http:// or https://, "
            f"got {url!r}. Leave it empty to use this page's origin."
        )
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise ConfigError(f"Setting apiBaseUrl has an invalid port: {url!r}.") from None
    if not parts.hostname or any(char.isspace() for char in url):
        raise ConfigError(
            f"Setting apiBaseUrl must name a host, such as "
            f"\"https://api.example.com\", got {url!r}."
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(
            f"Setting apiBaseUrl must be an origin with an optional path, without "
            f"a query, fragment or user name, got {url!r}."
        )


def _check_range(key: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(
            f"Setting {key} is {value!r}, outside the accepted range "
            f"{low:g} to {high:g}."
        )
