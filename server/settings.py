"""Server settings: the fixed ones from the command line and the live ones.

`Settings` is frozen and comes from the command line. `LiveConfig` starts as a
copy of the tunable part of it. The test controls change it while the server
runs, and `LiveConfig.restore` puts the command-line values back.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LiveConfig", "Settings", "is_loopback_host"]

MIB = 1024 * 1024

# The repository root, which contains index.html and app/.
DEFAULT_SITE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Settings fixed for the life of the server process."""

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    site_dir: Path = DEFAULT_SITE_DIR
    test_controls: bool = False
    demo_user: str = "demo"
    demo_password: str = "demo-password"
    # Token lifetimes in seconds.
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    max_upload_bytes: int = 50 * MIB
    # Origins, such as "https://app.example.com", whose pages may call the
    # API with credentials (see `server.cors`).
    allow_origins: tuple[str, ...] = ()

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry `Secure`: true unless the host is loopback."""
        return not is_loopback_host(self.host)


@dataclass
class LiveConfig:
    """Settings the test controls may change while the server runs."""

    access_token_ttl: int
    refresh_token_ttl: int
    max_upload_bytes: int
    # How fast request bodies are read, in bytes per second; 0 is unlimited.
    read_bytes_per_second: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveConfig:
        return cls(
            access_token_ttl=settings.access_token_ttl,
            refresh_token_ttl=settings.refresh_token_ttl,
            max_upload_bytes=settings.max_upload_bytes,
        )

    def restore(self, settings: Settings) -> None:
        """Put back the values given on the command line."""
        defaults = LiveConfig.from_settings(settings)
        self.access_token_ttl = defaults.access_token_ttl
        self.refresh_token_ttl = defaults.refresh_token_ttl
        self.max_upload_bytes = defaults.max_upload_bytes
        self.read_bytes_per_second = defaults.read_bytes_per_second

    @property
    def drain_limit(self) -> int:
        """Bytes of a request body read and discarded before an early response."""
        return self.max_upload_bytes + MIB


def is_loopback_host(host: str) -> bool:
    """Return whether `host` names only the loopback interface."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
