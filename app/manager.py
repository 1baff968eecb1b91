"""The upload manager: runs the queue through the transport.

It starts at most `concurrency` uploads at once, retries what the retry
policy allows, and moves each item through its lifecycle. Time, sleeping,
randomness, ids and the transport are injected, so the tests drive it with
a fake clock and a scripted transport.

Only the network attempt is retried. Work after a success (the hooks that
create the download link and refresh the history) runs once; if it raises,
the error is reported and the upload stays succeeded.

A 401 goes through the `TokenManager`: an expired token is refreshed once
(shared by every upload that failed with it) and the request is replayed
once with the new token, without using a retry attempt. When no valid
session remains, unfinished uploads wait in `auth-required` until
`resume_after_sign_in`, keeping their idempotency keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from app.auth import AuthAction, SessionExpired, TokenManager, decide_on_auth_error
from app.config import AppConfig
from app.errors import (
    AuthError,
    ProcessingTimeoutError,
    StallError,
    TransferError,
    UploadCancelled,
    UploadError,
    UploadPaused,
    ValidationError,
)
from app.format import SpeedMeter
from app.model import FileInfo, UploadItem, UploadOptions, UploadQueue, UploadStatus
from app.network import TransferTimeout, TransferWatchdog
from app.retry import ErrorClass, RetryPolicy, classify
from app.transport import Transfer, Transport, UploadRequest, UploadResponse
from app.validation import check_file, display_name, form_file_name

__all__ = ["AddResult", "ManagerHooks", "UploadManager"]

S = UploadStatus

# Seconds between checks of the stall and processing timeouts, and between
# updates of a retry countdown.
_TICK = 1.0


@dataclass
class ManagerHooks:
    """Callbacks through which the page hears about changes."""

    item_added: Callable[[UploadItem], None] = lambda item: None
    item_changed: Callable[[UploadItem], None] = lambda item: None
    item_removed: Callable[[UploadItem], None] = lambda item: None
    # Runs once after an upload succeeded; its errors never cause a re-upload.
    item_succeeded: Callable[[UploadItem], None] = lambda item: None
    # A sentence for the page's message area, and a level: info, warning, error.
    message: Callable[[str, str], None] = lambda text, level: None
    # A transfer failed without an HTTP response while the browser was online,
    # so the page can check whether the server is reachable.
    transfer_failed: Callable[[UploadItem], None] = lambda item: None
    # No valid session remains, so the page must show the sign-in form.
    # Called once each time the manager starts waiting for a sign-in.
    sign_in_required: Callable[[], None] = lambda: None
    # Errors raised by hooks, reported so they are never silent.
    hook_failed: Callable[[str, BaseException], None] = lambda where, error: None


@dataclass
class AddResult:
    added: list[UploadItem] = field(default_factory=list)
    rejected: list[UploadItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Restored items that got their File object back from this selection.
    attached: list[UploadItem] = field(default_factory=list)

    def extend(self, other: AddResult) -> None:
        """Add the outcome of another part of the same selection."""
        self.added.extend(other.added)
        self.rejected.extend(other.rejected)
        self.skipped.extend(other.skipped)
        self.attached.extend(other.attached)


class _Attempt:
    """Listener of one transfer: feeds the item's progress and the watchdog."""

    def __init__(self, manager: UploadManager, item: UploadItem) -> None:
        self.manager = manager
        self.item = item
        self.watchdog = TransferWatchdog(
            manager.config.stall_timeout,
            manager.config.processing_timeout,
            clock=manager.clock,
        )

    def on_progress(self, loaded: int, total: int) -> None:
        item = self.item
        self.watchdog.progress(loaded)
        item.loaded = loaded
        item.total = total or item.file.size
        item.meter.add(self.manager.clock(), loaded)
        self.manager._changed(item)

    def on_body_sent(self) -> None:
        item = self.item
        self.watchdog.body_sent()
        item.loaded = item.total = item.total or item.file.size
        if item.status is S.UPLOADING:
            item.move_to(S.PROCESSING)
        self.manager._changed(item)


class UploadManager:
    """Owns the queue and runs its uploads."""

    def __init__(
        self,
        config: AppConfig,
        transport: Transport,
        *,
        auth: TokenManager,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        random: Callable[[], float],
        new_id: Callable[[], str],
        new_key: Callable[[], str],
        hooks: ManagerHooks | None = None,
        policy: RetryPolicy | None = None,
        is_offline: Callable[[], bool] = lambda: False,
    ) -> None:
        self.config = config
        self.transport = transport
        self.queue = UploadQueue()
        self.hooks = hooks or ManagerHooks()
        self.policy = policy or RetryPolicy(
            max_retries=config.max_retries,
            initial_delay=config.initial_delay,
            multiplier=config.multiplier,
            max_delay=config.max_delay,
            max_retry_after=config.max_retry_after,
        )
        self.clock = clock
        self.auth = auth
        self._sleep = sleep
        self._random = random
        self._new_id = new_id
        self._new_key = new_key
        self._is_offline = is_offline
        # True while the network is down: nothing starts and nothing retries.
        self.paused = False
        # True from a rejected session until `resume_after_sign_in`: nothing
        # starts, because every request would get 401.
        self.awaiting_sign_in = False
        self._tasks: dict[str, asyncio.Task] = {}
        self._transfers: dict[str, Transfer] = {}

    # Adding and removing files.

    def add_files(self, files: Iterable[FileInfo], options: UploadOptions) -> AddResult:
        """Queue the files; those failing a check get a failed row and no request.

        A file that a restored row waits for (see `attach_file`) goes to that
        row instead of a new one, so after a reload the user can select all
        the missing files at once.
        """
        result = AddResult()
        # A set lookup per file, so adding thousands of files stays linear.
        unfinished = self.queue.unfinished_identities()
        waiting = self.queue.waiting_for_file()
        for info in files:
            waiting_item = waiting.pop(info.identity, None)
            if waiting_item is not None and self.attach_file(waiting_item.id, info):
                result.attached.append(waiting_item)
                continue
            if info.identity in unfinished:
                result.skipped.append(
                    f"“{display_name(info.name)}” is already in the queue."
                )
                continue
            item = UploadItem(
                id=self._new_id(),
                file=info,
                options=options,
                idempotency_key=self._new_key(),
                total=info.size,
            )
            try:
                check_file(info, self.config)
            except ValidationError as error:
                item.status = S.FAILED
                item.error = error.message
                result.rejected.append(item)
            else:
                result.added.append(item)
                unfinished.add(info.identity)
            self.queue.add(item)
            self._call_hook("item_added", self.hooks.item_added, item)
        self.pump()
        return result

    def restore(self, items: Iterable[UploadItem]) -> None:
        """Put items restored after a reload back in the queue and start the queued ones.

        They keep their ids and idempotency keys, so for a file it already
        processed the server returns its stored result.
        """
        for item in items:
            self.queue.add(item)
            self._call_hook("item_added", self.hooks.item_added, item)
        self.pump()

    def attach_file(self, item_id: str, info: FileInfo) -> bool:
        """Give a restored item its File object again and queue it.

        Return False, changing nothing, unless `info` is the same file (name,
        size and last modified time) and the item waits for it.
        """
        item = self.queue.get(item_id)
        if item is None or not item.needs_file or not item.file.same_file(info):
            return False
        if item.status not in (S.INTERRUPTED, S.FAILED, S.CANCELLED):
            return False
        item.file = info
        item.needs_file = False
        self._requeue(item)
        return True

    def _requeue(self, item: UploadItem) -> None:
        """Queue an item again with a fresh budget of automatic retries."""
        item.budget_start = item.attempts
        item.move_to(S.QUEUED)
        item.error = None
        item.loaded = 0
        self._changed(item)
        self.pump()

    def remove(self, item_id: str) -> None:
        """Drop a file from the list, cancelling its upload first if it runs."""
        item = self.queue.get(item_id)
        if item is None:
            return
        if item.status not in (S.SUCCEEDED, S.FAILED, S.CANCELLED):
            self.cancel(item_id)
        self.queue.remove(item_id)
        self._call_hook("item_removed", self.hooks.item_removed, item)

    def clear_completed(self) -> int:
        """Remove every succeeded item; return how many were removed."""
        finished = self.queue.with_status(S.SUCCEEDED)
        for item in finished:
            self.remove(item.id)
        return len(finished)

    # User actions on running files.

    def cancel(self, item_id: str) -> None:
        item = self.queue.get(item_id)
        if item is None or not item.can_move_to(S.CANCELLED):
            return
        transfer = self._transfers.get(item_id)
        if transfer is not None:
            transfer.abort(UploadCancelled(file_id=item_id, attempt=item.attempts))
            return
        item.move_to(S.CANCELLED)
        item.error = None
        item.next_retry_at = None
        self._changed(item)
        self.pump()

    def retry(self, item_id: str) -> bool:
        """Queue a failed or cancelled file again with a fresh retry budget.

        The idempotency key stays the same, so a file the server already
        processed is answered from the server's stored result.
        """
        item = self.queue.get(item_id)
        if item is None or item.status not in (S.FAILED, S.CANCELLED):
            return False
        if item.needs_file:
            # Restored after a reload without its File: see `attach_file`.
            return False
        if item.status is S.FAILED and not item.retryable:
            return False
        self._requeue(item)
        return True

    def retry_all_failed(self) -> int:
        count = 0
        for item in self.queue.with_status(S.FAILED):
            if self.retry(item.id):
                count += 1
        return count

    # Scheduling.

    def pump(self) -> None:
        """Start queued files while fewer than `concurrency` run."""
        if self.paused or self.awaiting_sign_in:
            return
        free = self.config.concurrency - len(self._tasks)
        # Items started but not yet moved out of `queued` are skipped. The
        # scan stops at the last free slot, so a pump is cheap in a long queue.
        for item in self.queue.first_queued(free, skip=self._tasks):
            self._tasks[item.id] = asyncio.ensure_future(self._run(item))

    def pause_all(self) -> int:
        """Stop every upload because the network is down; return how many stopped.

        Running uploads are aborted and become `paused` without using a retry
        attempt; waiting retries become `paused` too. Queued files stay queued
        and do not start until `resume_all`.
        """
        self.paused = True
        stopped = 0
        for item in self.queue.active():
            transfer = self._transfers.get(item.id)
            if transfer is not None:
                transfer.abort(UploadPaused(file_id=item.id, attempt=item.attempts))
                stopped += 1
            elif item.status is S.RETRYING:
                item.move_to(S.PAUSED)
                item.next_retry_at = None
                self._changed(item)
                stopped += 1
        return stopped

    def resume_all(self) -> int:
        """Queue every paused file again, in queue order; return how many."""
        self.paused = False
        paused = self.queue.with_status(S.PAUSED)
        for item in paused:
            item.move_to(S.QUEUED)
            self._changed(item)
        self.pump()
        return len(paused)

    # Sessions.

    def require_sign_in(self, *, notify: bool = True) -> int:
        """Hold every unfinished upload until the user signs in again.

        Queued, retrying and paused files become `auth-required` at once.
        Running transfers go on, because the server checked their token when
        they started. Any of them that gets 401 becomes `auth-required` too.
        With `notify`, the `sign_in_required` hook runs the first time.
        Returns how many files changed status.
        """
        first = not self.awaiting_sign_in
        self.awaiting_sign_in = True
        moved = 0
        for item in self.queue.with_status(S.QUEUED, S.RETRYING, S.PAUSED):
            self._hold_for_sign_in(item)
            moved += 1
        if first and notify:
            self._call_hook_error_safe("sign_in_required", self.hooks.sign_in_required)
        return moved

    def resume_after_sign_in(self) -> int:
        """Queue every `auth-required` file again; return how many.

        Each keeps its idempotency key, so for a file the server already
        processed it returns the stored result.
        """
        self.awaiting_sign_in = False
        waiting = self.queue.with_status(S.AUTH_REQUIRED)
        for item in waiting:
            item.move_to(S.QUEUED)
            item.error = None
            item.loaded = 0
            self._changed(item)
        self.pump()
        return len(waiting)

    def cancel_unfinished(self) -> int:
        """Cancel every file that is not finished, as on sign-out; return how many."""
        unfinished = [
            item
            for item in self.queue
            if item.is_active or item.status in (S.QUEUED, S.PAUSED, S.AUTH_REQUIRED)
        ]
        for item in unfinished:
            self.cancel(item.id)
        return len(unfinished)

    def _hold_for_sign_in(self, item: UploadItem) -> None:
        item.move_to(S.AUTH_REQUIRED)
        item.error = None
        item.next_retry_at = None
        self._changed(item)

    async def wait_idle(self) -> None:
        """Wait until no upload runs; for tests and shutdown."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _run(self, item: UploadItem) -> None:
        try:
            await self._upload_with_retries(item)
        except Exception as error:  # noqa: BLE001 - the row must never hang silently
            if item.can_move_to(S.FAILED):
                item.move_to(S.FAILED)
            item.error = (
                f"The upload stopped on an unexpected error ({error!r}). "
                "Retry the file."
            )
            item.retryable = True
            self._changed(item)
            self._call_hook_error("upload", error)
        finally:
            self._tasks.pop(item.id, None)
            self._transfers.pop(item.id, None)
            self.pump()

    async def _upload_with_retries(self, item: UploadItem) -> None:
        replay = False
        while True:
            token = self.auth.token
            if token is None or self.awaiting_sign_in:
                if item.can_move_to(S.AUTH_REQUIRED):
                    self._hold_for_sign_in(item)
                self.require_sign_in()
                return
            try:
                response = await self._attempt(item, token, replay=replay)
            except AuthError as error:
                try:
                    replay = await self._prepare_replay(item, error, token, replay)
                except UploadError as refresh_error:
                    # The refresh could not be completed (network or 5xx), so
                    # the attempt that got 401 counts as failed.
                    replay = False
                    if not await self._handle_failure(item, refresh_error):
                        return
                    continue
                if not replay:
                    return
                continue
            except UploadError as error:
                replay = False
                if not await self._handle_failure(item, error):
                    return
                continue
            self._succeed(item, response)
            return

    async def _prepare_replay(
        self, item: UploadItem, error: AuthError, token: str, replayed: bool
    ) -> bool:
        """Get a token to send the request once more after a 401.

        Returns True to replay, or False when the item now waits for a
        sign-in or left the upload (cancelled while the refresh ran).
        Raises the refresh's `UploadError` when it could not be completed.
        """
        action = decide_on_auth_error(error, token, self.auth.token, replayed)
        if action is AuthAction.SIGN_IN_REQUIRED:
            if item.can_move_to(S.AUTH_REQUIRED):
                self._hold_for_sign_in(item)
            self.require_sign_in()
            return False
        if action is AuthAction.REFRESH_AND_REPLAY:
            try:
                await self.auth.refresh_after_expiry(token)
            except SessionExpired:
                if item.can_move_to(S.AUTH_REQUIRED):
                    self._hold_for_sign_in(item)
                self.require_sign_in()
                return False
        # The user may have cancelled or removed the file while it waited.
        if item.status not in (S.UPLOADING, S.PROCESSING) or item.id not in self.queue:
            return False
        if self.paused:
            item.move_to(S.PAUSED)
            self._changed(item)
            return False
        return True

    async def _attempt(
        self, item: UploadItem, token: str, *, replay: bool = False
    ) -> UploadResponse:
        """Send the file once; a replay after a token refresh uses no attempt."""
        if not replay:
            item.attempts += 1
        if item.status is not S.UPLOADING:
            item.move_to(S.UPLOADING)
        item.loaded = 0
        item.error = None
        item.next_retry_at = None
        item.meter.reset()
        self._changed(item)

        request = UploadRequest(
            url=self.config.upload_url,
            token=token,
            idempotency_key=item.idempotency_key,
            source=item.file.source,
            file_name=form_file_name(item.file.name),
            fields=tuple(item.options.form_fields()),
        )
        listener = _Attempt(self, item)
        transfer = self.transport.start(request, listener)
        self._transfers[item.id] = transfer
        watchdog = asyncio.ensure_future(self._watch(item, transfer, listener))
        try:
            return await transfer.response()
        finally:
            watchdog.cancel()
            self._transfers.pop(item.id, None)

    async def _watch(self, item: UploadItem, transfer: Transfer, attempt: _Attempt) -> None:
        """Abort the transfer when it stalls or the answer takes too long."""
        while True:
            await self._sleep(_TICK)
            timeout = attempt.watchdog.check(self.clock())
            if timeout is None:
                continue
            context = {"file_id": item.id, "attempt": item.attempts}
            if timeout is TransferTimeout.STALL:
                transfer.abort(StallError(self.config.stall_timeout, **context))
            else:
                transfer.abort(
                    ProcessingTimeoutError(self.config.processing_timeout, **context)
                )
            return

    async def _handle_failure(self, item: UploadItem, error: UploadError) -> bool:
        """Record a failed attempt; return True when another attempt should run."""
        error.file_id = item.id
        error.attempt = item.attempts
        if isinstance(error, TransferError) and (self.paused or self._is_offline()):
            # The browser lost the network; the offline handler pauses the rest.
            error = UploadPaused(file_id=item.id, attempt=item.attempts)
        elif isinstance(error, TransferError):
            self._call_hook("transfer_failed", self.hooks.transfer_failed, item)
        error_class = classify(error)
        if isinstance(error, UploadCancelled):
            item.move_to(S.CANCELLED)
            item.error = None
            self._changed(item)
            return False
        if error_class is ErrorClass.PAUSE:
            item.attempts -= 1
            item.move_to(S.PAUSED)
            self._changed(item)
            return False

        attempts = item.attempts - item.budget_start
        decision = self.policy.decide(
            error, attempts, random=self._random, now=self.clock()
        )
        if not decision.retry:
            item.move_to(S.FAILED)
            item.error = self.policy.describe_failure(
                error, item.attempts, decision, now=self.clock()
            )
            item.retryable = error_class is ErrorClass.RETRY
            item.next_retry_at = None
            self._changed(item)
            return False

        item.move_to(S.RETRYING)
        item.error = error.message
        item.next_retry_at = self.clock() + decision.delay
        self._changed(item)
        return await self._wait_for_retry(item)

    async def _wait_for_retry(self, item: UploadItem) -> bool:
        """Count down to the next attempt; return False if the item left `retrying`."""
        while item.status is S.RETRYING:
            if self.paused:
                item.move_to(S.PAUSED)
                item.next_retry_at = None
                self._changed(item)
                return False
            remaining = (item.next_retry_at or 0) - self.clock()
            if remaining <= 0:
                return True
            await self._sleep(min(_TICK, remaining))
            self._changed(item)
        return False

    def _succeed(self, item: UploadItem, response: UploadResponse) -> None:
        if item.status is S.UPLOADING:
            item.move_to(S.PROCESSING)
        item.move_to(S.SUCCEEDED)
        item.result = response
        item.result_name = response.file_name
        item.history_id = response.history_id
        item.error = None
        item.next_retry_at = None
        item.loaded = item.total = item.total or item.file.size
        self._changed(item)
        self._call_hook("item_succeeded", self.hooks.item_succeeded, item)

    # Hooks.

    def _changed(self, item: UploadItem) -> None:
        self._call_hook("item_changed", self.hooks.item_changed, item)

    def _call_hook(self, where: str, hook: Callable, item: UploadItem) -> None:
        try:
            hook(item)
        except Exception as error:  # noqa: BLE001 - hooks must not break uploads
            self._call_hook_error(where, error)

    def _call_hook_error_safe(self, where: str, hook: Callable[[], None]) -> None:
        try:
            hook()
        except Exception as error:  # noqa: BLE001 - hooks must not break uploads
            self._call_hook_error(where, error)

    def _call_hook_error(self, where: str, error: BaseException) -> None:
        try:
            self.hooks.hook_failed(where, error)
        except Exception:  # noqa: BLE001 - nothing is left to report to
            pass
