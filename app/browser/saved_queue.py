"""The saved upload queue in the page: restore after a reload, save as it changes.

The record of each user's queue lives in localStorage (see
`app.persistence`), each queued File object in IndexedDB under
`<owner>/<file id>`, and each file this tab uploads is guarded by a Web Lock
named `uploader.file.<owner>.<file id>`. A tab that finds a lock held shows
the file as uploading in another tab and waits for the lock. It gets the
lock when the other tab finishes, removes the file or closes. Then it takes
the file over unless the other tab marked it finished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

import js
from pyodide.ffi import create_proxy

from app.format import format_size
from app.manager import UploadManager
from app.model import FileInfo, UploadItem, UploadStatus
from app.persistence import PersistedFile, QueueMirror, QueueSnapshot, RestorePlan
from app.browser.storage import (
    FileStore,
    FileStoreError,
    LocalStorage,
    TabLocks,
    request_persistence,
)
from app.browser.view import QueueView

__all__ = ["SavedQueue"]

log = logging.getLogger(__name__)

S = UploadStatus

# Writes during a burst of progress events are at least this far apart.
_MIN_WRITE_INTERVAL_MS = 500
# Status changes are written at most this long after they happen.
_STATUS_WRITE_MS = 250

# File objects stored in one IndexedDB transaction.
_KEEP_BATCH = 50

# The value that replaces a File object in IndexedDB once its upload succeeded
# or was removed. IndexedDB, unlike localStorage, is consistent across tabs at
# once, so a tab taking a file over trusts this mark over the saved record.
_FINISHED_MARK = "finished"

# Restored statuses that go on by themselves once the File object is back.
_RESUMABLE = frozenset({S.QUEUED, S.PAUSED, S.INTERRUPTED, S.AUTH_REQUIRED})


def _now_ms() -> float:
    return time.time() * 1000


class SavedQueue:
    """Keeps one signed-in user's saved queue in step with the manager."""

    def __init__(
        self,
        manager: UploadManager,
        view: QueueView,
        show_message: Callable[[str, str], None],
        js_notice,
        js_storage_status,
    ) -> None:
        self.manager = manager
        self.view = view
        self.show_message = show_message
        self._js_notice = js_notice
        self._js_storage_status = js_storage_status
        self.files = FileStore()
        self.locks = TabLocks()
        self.mirror: QueueMirror | None = None
        self.owner: str | None = None
        # Files another tab uploads, shown in the list but not in the manager.
        self.foreign: dict[str, UploadItem] = {}
        self._statuses: dict[str, UploadStatus] = {}
        self._queue_snapshot = QueueSnapshot()
        # Items whose File objects wait to be stored, oldest first.
        self._to_keep: list[UploadItem] = []
        self._keeping = False
        self._keep_task: asyncio.Future | None = None
        # Added items above `max_kept_file_bytes`, for the selection's message.
        self._too_large_to_keep: list[UploadItem] = []
        self._restoring = False
        self._flush_scheduled = False
        self._status_write_scheduled = False
        self._flush_proxy = create_proxy(self._flush)
        self._status_write_proxy = create_proxy(self._write_status)
        self._proxies = []
        self._listen(js.window, "pagehide", self._on_pagehide)
        self._listen(js.window, "pageshow", self._on_pageshow)

    def _listen(self, js_target, event: str, handler) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        js_target.addEventListener(event, proxy)

    def _file_key(self, item_id: str) -> str:
        return f"{self.owner}/{item_id}"

    def _lock_name(self, item_id: str) -> str:
        return f"uploader.file.{self.owner}.{item_id}"

    # Starting and stopping for one user.

    async def start(self, owner: str) -> None:
        """Restore `owner`'s saved queue and save this tab's changes from now on."""
        if self.owner == owner and self.mirror is not None:
            return
        if self.mirror is not None:
            # Another user signed in without signing out first.
            self.stop()
        self.owner = owner
        self.mirror = QueueMirror(
            LocalStorage(),
            owner,
            self._snapshot,
            now_ms=_now_ms,
            min_interval_ms=_MIN_WRITE_INTERVAL_MS,
            on_degraded=self._on_degraded,
        )
        await self._restore()
        # The status line appears once the restore is done.
        asyncio.ensure_future(self._show_persistence())

    def stop(self) -> None:
        """Save the queue as it is and let go of it, for sign-out.

        The record stays for this user's next sign-in, with in-flight files
        saved as interrupted. Rows are removed from the page so the next user
        sees none of them, and this tab's locks are released.
        """
        if self.mirror is None:
            return
        self.mirror.note_status_change()
        self.mirror.suspend()
        for item in list(self.foreign.values()):
            self.view.remove(item)
        self.foreign.clear()
        for item in list(self.manager.queue):
            self.manager.remove(item.id)
        self.locks.release_all()
        self._statuses.clear()
        self._to_keep.clear()
        self._too_large_to_keep.clear()
        self.mirror = None
        self.owner = None
        self._js_notice.hidden = True
        self._js_storage_status.textContent = ""

    # Restoring.

    async def _restore(self) -> None:
        mirror = self.mirror
        result = mirror.load()
        if result.problem:
            log.warning("%s", result.problem)
            self.show_message(f"{result.problem} Add the files again.", "warning")
        if not result.files:
            if mirror.degraded:
                return
            asyncio.ensure_future(self._delete_orphan_files())
            return

        self._restoring = True
        plan = RestorePlan()
        items = []
        try:
            for entry in result.files:
                if entry.id in self.manager.queue or entry.id in self.foreign:
                    continue
                if not await self.locks.try_acquire(self._lock_name(entry.id)):
                    self._show_foreign(entry)
                    plan = replace(plan, elsewhere=plan.elsewhere + 1)
                    continue
                item = await self._owned_item(entry)
                if item is None:
                    self.locks.release(self._lock_name(entry.id))
                    continue
                items.append(item)
                plan = _count(plan, item)
            for item in items:
                self._statuses[item.id] = item.status
            self.manager.restore(items)
        finally:
            self._restoring = False
        mirror.note_status_change()
        message = plan.message()
        if message:
            log.info("%s", message)
            self.show_message(message, "warning" if plan.need_file else "info")
        asyncio.ensure_future(self._delete_orphan_files())

    async def _owned_item(self, entry: PersistedFile) -> UploadItem | None:
        """Build the queue item of a restored entry that this tab now owns.

        Return None when another tab has finished or removed the file.
        """
        js_file = None
        try:
            js_file = await self.files.get(self._file_key(entry.id))
        except FileStoreError as error:
            log.warning("File of %s could not be read from IndexedDB: %s", entry.id, error)
        if js_file == _FINISHED_MARK:
            return None
        item = entry.to_item(js_file)
        if item.status in _RESUMABLE:
            item.status = S.QUEUED if js_file is not None else S.INTERRUPTED
            item.error = None
        return item

    def _show_foreign(self, entry: PersistedFile) -> None:
        item = replace(entry, status=S.INTERRUPTED).to_item()
        self.foreign[item.id] = item
        self.view.add_foreign(item)
        self.locks.wait(
            self._lock_name(item.id),
            lambda: asyncio.ensure_future(self._take_over(item.id)),
        )

    async def _take_over(self, item_id: str) -> None:
        """Continue a file whose tab finished it, removed it or closed."""
        foreign = self.foreign.pop(item_id, None)
        if foreign is None or self.mirror is None:
            self.locks.release(self._lock_name(item_id))
            return
        self.view.remove(foreign)
        entry = self.mirror.read_entry(item_id)
        item = None if entry is None else await self._owned_item(entry)
        if item is None:
            # Finished or removed in the other tab. Finished files are in the history.
            self.locks.release(self._lock_name(item_id))
            log.info("File %s was finished or removed in another tab", item_id)
            return
        self._restoring = True
        try:
            self._statuses[item.id] = item.status
            self.manager.restore([item])
        finally:
            self._restoring = False
        self.mirror.note_status_change()
        name = item.file.name
        if item.status is S.QUEUED:
            self.show_message(f"Another tab closed; this tab continues “{name}”.", "info")
        elif item.status is S.INTERRUPTED:
            self.show_message(
                f"Another tab closed; select “{name}” again to continue it here.",
                "warning",
            )

    async def _delete_orphan_files(self) -> None:
        """Delete this user's stored File objects that no saved entry lists."""
        owner = self.owner
        if owner is None or self.mirror is None:
            return
        try:
            keys = await self.files.keys()
        except FileStoreError as error:
            log.warning("Stored files could not be listed: %s", error)
            return
        if self.owner != owner or self.mirror is None:
            return
        # The record is read after the keys, and a tab writes an entry before
        # it stores the entry's File, so no file of a live tab is deleted.
        listed = {self._file_key(entry.id) for entry in self.mirror.load().files}
        listed.update(self._file_key(item.id) for item in self.manager.queue)
        listed.update(self._file_key(item_id) for item_id in self.foreign)
        prefix = f"{owner}/"
        for key in keys:
            if key.startswith(prefix) and key not in listed:
                await self._delete_file(key)

    # Saving.

    def _snapshot(self) -> list[PersistedFile]:
        return self._queue_snapshot.take(self.manager.queue)

    def item_added(self, item: UploadItem) -> None:
        """Mark the record dirty and store the File object of a newly added file."""
        self._statuses[item.id] = item.status
        if self._restoring or self.mirror is None:
            return
        self.mirror.note_change()
        self._schedule_flush()
        if item.status is S.FAILED:
            return
        if not self._may_keep(item):
            self._too_large_to_keep.append(item)
            return
        # Stored once the whole selection is queued, see `items_added`.
        self._to_keep.append(item)

    def items_added(self) -> None:
        """Write the record and start storing the File objects of a queued selection.

        The File objects wait until the selection is queued, so storing them
        does not delay its rows.
        """
        if self.mirror is not None:
            self.mirror.flush()
        self._keep_waiting_files()
        if self._too_large_to_keep:
            message = _too_large_message(
                self._too_large_to_keep, self.manager.config.max_kept_file_bytes
            )
            self._too_large_to_keep.clear()
            self.show_message(message, "info")

    def _may_keep(self, item: UploadItem) -> bool:
        """Tell whether the item's file is small enough to be kept for a reload."""
        return item.file.size <= self.manager.config.max_kept_file_bytes

    def _keep_soon(self, item: UploadItem) -> None:
        """Store the item's File object in the next batch of `_keep_waiting`."""
        self._to_keep.append(item)
        self._keep_waiting_files()

    def _keep_waiting_files(self) -> None:
        if self._to_keep and not self._keeping:
            self._keeping = True
            self._keep_task = asyncio.ensure_future(self._keep_waiting())

    @property
    def keeping(self) -> bool:
        """Whether File objects of queued files are waiting to be stored."""
        return bool(self._to_keep) or self._keeping

    async def keep_waiting_files(self) -> None:
        """Store the File objects still waiting, such as before a sign-out."""
        self._keep_waiting_files()
        if self._keep_task is not None and not self._keep_task.done():
            await asyncio.shield(self._keep_task)

    async def _keep_waiting(self) -> None:
        """Store waiting File objects in batches, one IndexedDB transaction each.

        A selection of a thousand files would otherwise start a thousand
        transactions and lock requests at once, each with its own calls
        between Python and JavaScript, ahead of the rows and the uploads.
        Files the browser refuses are reported in one message at the end.
        """
        owner = self.owner
        rejected: list[UploadItem] = []
        reasons: list[str] = []
        try:
            while self._to_keep:
                batch = self._to_keep[:_KEEP_BATCH]
                del self._to_keep[:_KEEP_BATCH]
                for item, error in await self._keep(batch):
                    rejected.append(item)
                    reasons.append(str(error))
        finally:
            self._keeping = False
        if rejected and self.owner == owner:
            self.show_message(_not_kept_message(rejected, reasons), "warning")

    async def _keep(self, items: list[UploadItem]) -> list[tuple[UploadItem, FileStoreError]]:
        """Store the items' File objects; return the items the browser rejected, with why."""
        owner = self.owner
        await asyncio.gather(
            *(self.locks.try_acquire(self._lock_name(item.id)) for item in items)
        )
        if self.owner != owner:
            return []
        try:
            await self.files.put_many(
                [(self._file_key(item.id), item.file.source) for item in items]
            )
        except FileStoreError as error:
            if len(items) == 1:
                log.warning("File %s could not be kept for a reload: %s", items[0].id, error)
                return [(items[0], error)]
            # A transaction stores all or none, so one rejected file would
            # cost the whole batch its copies: store them one by one instead.
            rejected = []
            for item in items:
                rejected.extend(await self._keep([item]))
            return rejected
        if self.owner != owner:
            return []
        for item in items:
            if item.id not in self.manager.queue or item.status is S.SUCCEEDED:
                # Finished or removed while the file was being stored.
                await self._mark_finished(item.id)
        return []

    def item_changed(self, item: UploadItem) -> None:
        if self.mirror is None:
            return
        previous = self._statuses.get(item.id)
        self._statuses[item.id] = item.status
        if previous is item.status:
            self.mirror.note_progress()
            if self.mirror.dirty:
                self._schedule_flush()
            return
        self._write_status_soon()
        if item.status is S.SUCCEEDED:
            # The record no longer lists the file, so another tab can take the lock.
            self._forget(item)

    def item_removed(self, item: UploadItem) -> None:
        self._statuses.pop(item.id, None)
        if self.mirror is None or self.mirror.suspended:
            return
        self._write_status_soon()
        self._forget(item)

    def file_attached(self, item: UploadItem) -> None:
        """Store the File object that the user selected again for a restored file."""
        if self.mirror is None:
            return
        if not self._may_keep(item):
            self.show_message(
                _too_large_message([item], self.manager.config.max_kept_file_bytes), "info"
            )
            return
        self._keep_soon(item)

    def _forget(self, item: UploadItem) -> None:
        asyncio.ensure_future(self._mark_finished(item.id))

    async def _mark_finished(self, item_id: str) -> None:
        """Replace the stored File by the finished mark, then let other tabs take the lock."""
        try:
            await self.files.put(self._file_key(item_id), _FINISHED_MARK)
        except FileStoreError as error:
            log.warning("File %s could not be marked finished: %s", item_id, error)
        self.locks.release(self._lock_name(item_id))

    async def _delete_file(self, key: str) -> None:
        try:
            await self.files.delete(key)
        except FileStoreError as error:
            log.warning("Stored file %s could not be deleted: %s", key, error)

    def _write_status_soon(self) -> None:
        """Write status changes within `_STATUS_WRITE_MS`, all of them in one write.

        With many small files, uploads start and finish dozens of times a
        second, and each write costs time in proportion to the length of the
        queue. A page that closes in between loses nothing, because the
        `pagehide` handler writes the current queue at once. After a crash,
        a file that finished within that time restores as interrupted, and
        its upload again sends the same idempotency key, so the server
        returns its stored result instead of processing it twice.
        """
        if self.mirror is None:
            return
        self.mirror.note_change()
        if self._status_write_scheduled:
            return
        self._status_write_scheduled = True
        js.setTimeout(self._status_write_proxy, _STATUS_WRITE_MS)

    def _write_status(self, *args) -> None:
        self._status_write_scheduled = False
        if self.mirror is not None:
            self.mirror.flush()

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        self._flush_scheduled = True
        js.setTimeout(self._flush_proxy, _MIN_WRITE_INTERVAL_MS)

    def _flush(self, *args) -> None:
        self._flush_scheduled = False
        if self.mirror is not None:
            self.mirror.flush()

    def _on_pagehide(self, js_event) -> None:
        if self.mirror is None:
            return
        # In-flight files are saved as interrupted. Writes stop here, because
        # the requests the browser aborts next would be saved as failures.
        self.mirror.note_status_change()
        self.mirror.suspend()

    def _on_pageshow(self, js_event) -> None:
        if self.mirror is not None and js_event.persisted:
            self.mirror.resume()
            self.mirror.note_status_change()

    # Notices.

    def _on_degraded(self, notice: str) -> None:
        log.warning("%s", notice)
        self._js_notice.textContent = notice
        self._js_notice.hidden = False

    async def _show_persistence(self) -> None:
        granted = await request_persistence()
        if granted is True:
            text = "Saved uploads: persistent storage granted, so the browser keeps them."
        elif granted is False:
            text = (
                "Saved uploads: persistent storage not granted, so the browser "
                "may clear them when disk space runs low."
            )
        else:
            text = "Saved uploads: this browser cannot be asked to keep them."
        self._js_storage_status.textContent = text
        self._js_storage_status.dataset.persisted = str(granted).lower()


def _too_large_message(items: list[UploadItem], limit: int) -> str:
    after = "If the page reloads before it finishes, select it again."
    if len(items) > 1:
        after = "If the page reloads before they finish, select them again."
    if limit == 0:
        subject = f"“{items[0].file.name}” gets" if len(items) == 1 else f"{len(items)} files get"
        return (
            f"{subject} no copy for a reload, because the setting maxKeptFileBytes "
            f"is 0. {after}"
        )
    if len(items) > 1:
        return (
            f"{len(items)} files are larger than {format_size(limit)}, so the browser "
            f"keeps no copy of them for a reload. {after}"
        )
    file = items[0].file
    size, limit_text = format_size(file.size), format_size(limit)
    if size == limit_text:
        # Rounded alike, such as 2.9 KB and 2.9 KB: the exact sizes tell them apart.
        size, limit_text = f"{file.size:,} bytes", f"{limit:,} bytes"
    return (
        f"“{file.name}” ({size}) is larger than {limit_text}, so the browser keeps "
        f"no copy of it for a reload. {after}"
    )


def _not_kept_message(items: list[UploadItem], reasons: list[str]) -> str:
    reason = reasons[0]
    if len(items) == 1:
        return (
            f"The browser could not keep “{items[0].file.name}” for a reload "
            f"({reason}). After a reload, select it again."
        )
    return (
        f"The browser could not keep {len(items)} files for a reload ({reason}). "
        "After a reload, select them again."
    )


def _count(plan: RestorePlan, item: UploadItem) -> RestorePlan:
    if item.status is S.QUEUED:
        return replace(plan, resuming=plan.resuming + 1)
    if item.status is S.INTERRUPTED:
        return replace(plan, need_file=plan.need_file + 1)
    if item.status is S.FAILED:
        return replace(plan, failed=plan.failed + 1)
    return plan


def file_info(js_file) -> FileInfo:
    """Describe a browser File object; the object itself stays in JavaScript."""
    return FileInfo(
        name=str(js_file.name),
        size=int(js_file.size),
        type=str(js_file.type),
        last_modified=int(js_file.lastModified),
        source=js_file,
    )
