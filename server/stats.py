"""Counters the test controls report at ``GET /__test__/stats``."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Stats"]


@dataclass
class Stats:
    """Request counters since start or the last reset."""

    # Upload requests received, whatever their outcome.
    uploads_started: int = 0
    # Upload requests that got a 200, including repeats of a stored result.
    uploads_completed: int = 0
    # Runs of the paraphraser; a repeat served from storage adds none.
    uploads_processed: int = 0
    refresh_calls: int = 0
    login_calls: int = 0
    # Fault rules that matched a request.
    faults_applied: int = 0
    active_uploads: int = 0
    max_concurrent_uploads: int = 0
    # (user id, Idempotency-Key) pairs seen on upload requests.
    idempotency_keys: set[tuple[int, str]] = field(default_factory=set)

    def upload_started(self) -> None:
        self.uploads_started += 1
        self.active_uploads += 1
        self.max_concurrent_uploads = max(
            self.max_concurrent_uploads, self.active_uploads
        )

    def upload_ended(self, completed: bool) -> None:
        self.active_uploads -= 1
        if completed:
            self.uploads_completed += 1

    def reset(self) -> None:
        """Zero the counters; uploads still running stay counted as active."""
        self.uploads_started = 0
        self.uploads_completed = 0
        self.uploads_processed = 0
        self.refresh_calls = 0
        self.login_calls = 0
        self.faults_applied = 0
        self.max_concurrent_uploads = self.active_uploads
        self.idempotency_keys = set()

    def to_json(self) -> dict[str, int]:
        return {
            "uploadsStarted": self.uploads_started,
            "uploadsCompleted": self.uploads_completed,
            "uploadsProcessed": self.uploads_processed,
            "distinctIdempotencyKeys": len(self.idempotency_keys),
            "refreshCalls": self.refresh_calls,
            "loginCalls": self.login_calls,
            "maxConcurrentUploads": self.max_concurrent_uploads,
            "faultsApplied": self.faults_applied,
        }
