"""The objects every request handler shares, stored on the application."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from .auth_tokens import TokenService
from .db import Database
from .faults import FaultRules
from .idempotency import KeyLocks
from .login_limit import LoginLimiter
from .settings import LiveConfig, Settings
from .stats import Stats

__all__ = ["SERVICES", "Services", "services_of"]


@dataclass
class Services:
    settings: Settings
    config: LiveConfig
    db: Database
    tokens: TokenService
    # Wall-clock time in seconds since the epoch; tests pass a fake one.
    clock: Callable[[], float] = time.time
    stats: Stats = field(default_factory=Stats)
    faults: FaultRules = field(default_factory=FaultRules)
    key_locks: KeyLocks = field(default_factory=KeyLocks)
    login_limiter: LoginLimiter = field(default_factory=LoginLimiter)

    @property
    def temp_dir(self) -> Path:
        """Folder for upload bodies while they arrive and are processed."""
        return self.settings.data_dir / "tmp"

    @property
    def results_dir(self) -> Path:
        """Folder for processed files, one subfolder per history id."""
        return self.settings.data_dir / "results"


SERVICES = web.AppKey("services", Services)


def services_of(request: web.Request) -> Services:
    return request.app[SERVICES]
