"""Browser storage adapters: localStorage, IndexedDB for File objects, Web Locks.

`LocalStorage` gives `window.localStorage` the `app.storage.Storage` shape.
`FileStore` keeps File objects in IndexedDB: the File goes into the object
store as a JavaScript object (the browser copies it by structured clone), so
no byte passes through Python. `TabLocks` holds one Web Lock per file that
this tab uploads; the browser releases a closed tab's locks by itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import js
from pyodide.ffi import JsException, create_once_callable, create_proxy, to_js

from app.storage import StorageQuotaError, StorageUnavailableError

from app.browser.interop import is_null

__all__ = [
    "FileStore",
    "FileStoreError",
    "LocalStorage",
    "TabLocks",
    "is_null",
    "js_error_text",
    "request_persistence",
]

log = logging.getLogger(__name__)

_DATABASE_NAME = "uploader-files"
_DATABASE_VERSION = 1
_STORE_NAME = "files"


def _error_name(error: JsException) -> str:
    return str(getattr(error, "name", "") or type(error).__name__)


class LocalStorage:
    """`window.localStorage` with its exceptions mapped onto `app.storage` errors."""

    def _storage(self):
        try:
            js_storage = js.window.localStorage
        except JsException as error:
            raise StorageUnavailableError(f"localStorage is blocked: {error}") from error
        if is_null(js_storage):
            raise StorageUnavailableError("localStorage is not available.")
        return js_storage

    def get_item(self, key: str) -> str | None:
        try:
            value = self._storage().getItem(key)
        except JsException as error:
            raise StorageUnavailableError(f"localStorage read failed: {error}") from error
        return None if is_null(value) else str(value)

    def set_item(self, key: str, value: str) -> None:
        js_storage = self._storage()
        try:
            js_storage.setItem(key, value)
        except JsException as error:
            if _error_name(error) == "QuotaExceededError" or "quota" in str(error).lower():
                raise StorageQuotaError(str(error)) from error
            raise StorageUnavailableError(f"localStorage write failed: {error}") from error

    def remove_item(self, key: str) -> None:
        try:
            self._storage().removeItem(key)
        except JsException as error:
            raise StorageUnavailableError(f"localStorage remove failed: {error}") from error


class FileStoreError(Exception):
    """IndexedDB refused a request: disabled, full, or the database is blocked."""


def _wait(js_target, success: str, failure: tuple[str, ...], result: Callable):
    """Return a future resolved by the `success` event of an IndexedDB request or transaction."""
    future = asyncio.get_event_loop().create_future()
    # (event type, proxy) of each listener. They are removed before the
    # proxies are destroyed, because an aborted transaction fires an error
    # event for each of its pending requests as well.
    listeners = []

    def release() -> None:
        for event, proxy in listeners:
            js_target.removeEventListener(event, proxy)
            proxy.destroy()
        listeners.clear()

    def on_success(js_event) -> None:
        if not future.done():
            future.set_result(result())
        asyncio.get_event_loop().call_soon(release)

    def on_failure(js_event) -> None:
        js_error = getattr(js_target, "error", None)
        if is_null(js_error):
            name, message = str(js_event.type), ""
        else:
            name = str(getattr(js_error, "name", ""))
            message = str(getattr(js_error, "message", ""))
        if not future.done():
            future.set_exception(FileStoreError(f"{name}: {message}".rstrip(": ")))
        asyncio.get_event_loop().call_soon(release)

    handler = create_proxy(on_success)
    listeners.append((success, handler))
    js_target.addEventListener(success, handler)
    for event in failure:
        handler = create_proxy(on_failure)
        listeners.append((event, handler))
        js_target.addEventListener(event, handler)
    return future


# Pyodide's text for a thrown value that is not an Error, such as a DOMException.
_QUOTED_THROWN_VALUE = re.compile(r'interpolation of the thrown value gives """(.*?)"""', re.S)


def js_error_text(error: JsException) -> str:
    """Return "name: message" of the JavaScript error behind `error`.

    Pyodide does not treat a DOMException as an Error: it raises a generic
    error whose text quotes the thrown value between triple quotes, and that
    quote is what says what went wrong, such as "QuotaExceededError: The
    quota has been exceeded."
    """
    text = str(error)
    quoted = _QUOTED_THROWN_VALUE.search(text)
    if quoted:
        return quoted.group(1)
    name = str(getattr(error, "name", "") or "")
    message = str(getattr(error, "message", "") or "")
    if message:
        return f"{name}: {message}" if name else message
    return text.splitlines()[0] if text else type(error).__name__


def _ignore_result(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


class FileStore:
    """File objects in IndexedDB, keyed by a string, for uploads that outlive a reload."""

    def __init__(self) -> None:
        self._js_database = None

    async def _database(self):
        if self._js_database is not None:
            return self._js_database
        try:
            js_request = js.indexedDB.open(_DATABASE_NAME, _DATABASE_VERSION)
        except (JsException, AttributeError) as error:
            raise FileStoreError(f"IndexedDB is not available: {error}") from error

        def upgrade(js_event) -> None:
            js_database = js_request.result
            if not js_database.objectStoreNames.contains(_STORE_NAME):
                js_database.createObjectStore(_STORE_NAME)

        upgrade_proxy = create_proxy(upgrade)
        js_request.addEventListener("upgradeneeded", upgrade_proxy)
        try:
            self._js_database = await _wait(
                js_request, "success", ("error", "blocked"), lambda: js_request.result
            )
        finally:
            upgrade_proxy.destroy()
        return self._js_database

    async def _transaction(self, mode: str):
        js_database = await self._database()
        try:
            return js_database.transaction(_STORE_NAME, mode)
        except JsException as error:
            raise FileStoreError(f"IndexedDB transaction failed: {error}") from error

    async def put(self, key: str, js_file) -> None:
        """Store a File object; raise `FileStoreError` if the browser rejects it."""
        await self.put_many([(key, js_file)])

    async def put_many(self, records: list[tuple[str, object]]) -> None:
        """Store several (key, File object) pairs in one transaction, all or none."""
        if not records:
            return
        js_transaction = await self._transaction("readwrite")
        done = _wait(js_transaction, "complete", ("error", "abort"), lambda: None)
        js_store = js_transaction.objectStore(_STORE_NAME)
        try:
            for key, js_file in records:
                js_store.put(js_file, key)
        except JsException as error:
            js_transaction.abort()
            # The abort fails `done` too; this error is the one reported.
            done.add_done_callback(_ignore_result)
            raise FileStoreError(js_error_text(error)) from error
        await done

    async def get(self, key: str):
        """Return the stored File object, or None when there is none."""
        js_transaction = await self._transaction("readonly")
        try:
            js_request = js_transaction.objectStore(_STORE_NAME).get(key)
        except JsException as error:
            raise FileStoreError(f"IndexedDB get failed: {error}") from error
        value = await _wait(js_request, "success", ("error",), lambda: js_request.result)
        return None if is_null(value) else value

    async def keys(self) -> list[str]:
        js_transaction = await self._transaction("readonly")
        try:
            js_request = js_transaction.objectStore(_STORE_NAME).getAllKeys()
        except JsException as error:
            raise FileStoreError(f"IndexedDB key listing failed: {error}") from error
        js_keys = await _wait(js_request, "success", ("error",), lambda: js_request.result)
        return [str(key) for key in js_keys]

    async def delete(self, key: str) -> None:
        js_transaction = await self._transaction("readwrite")
        done = _wait(js_transaction, "complete", ("error", "abort"), lambda: None)
        try:
            js_transaction.objectStore(_STORE_NAME).delete(key)
        except JsException as error:
            raise FileStoreError(f"IndexedDB delete failed: {error}") from error
        await done


class TabLocks:
    """Exclusive Web Locks that this tab holds until it releases them or closes."""

    def __init__(self) -> None:
        self._releases: dict[str, object] = {}
        self._waits: dict[str, object] = {}

    @property
    def available(self) -> bool:
        try:
            return not is_null(js.navigator.locks)
        except (JsException, AttributeError):
            return False

    def held(self, name: str) -> bool:
        return name in self._releases

    async def try_acquire(self, name: str) -> bool:
        """Take the lock if no tab holds it; return whether this tab holds it now.

        Without the Web Locks API every lock counts as free, so tabs are not
        coordinated at all.
        """
        if name in self._releases:
            return True
        if not self.available:
            return True
        future = asyncio.get_event_loop().create_future()

        def granted(js_lock):
            if is_null(js_lock):
                future.set_result(False)
                return None
            js_promise = self._hold(name)
            future.set_result(True)
            return js_promise

        js_options = to_js({"ifAvailable": True}, dict_converter=js.Object.fromEntries)
        js.navigator.locks.request(name, js_options, create_once_callable(granted))
        return await future

    def wait(self, name: str, on_granted: Callable[[], None]) -> None:
        """Request the lock and call `on_granted` once it is this tab's."""
        if not self.available or name in self._waits:
            return
        js_controller = js.AbortController.new()
        self._waits[name] = js_controller

        def granted(js_lock):
            self._waits.pop(name, None)
            js_promise = self._hold(name)
            asyncio.get_event_loop().call_soon(on_granted)
            return js_promise

        js_options = to_js({"signal": js_controller.signal}, dict_converter=js.Object.fromEntries)
        js_request = js.navigator.locks.request(
            name, js_options, create_once_callable(granted)
        )
        # An aborted wait rejects with AbortError, which is expected.
        js_request.catch(create_once_callable(lambda js_error: None))

    def release(self, name: str) -> None:
        js_controller = self._waits.pop(name, None)
        if js_controller is not None:
            js_controller.abort()
        js_resolve = self._releases.pop(name, None)
        if js_resolve is not None:
            js_resolve()

    def release_all(self) -> None:
        for name in list(self._waits) + list(self._releases):
            self.release(name)

    def _hold(self, name: str):
        def executor(js_resolve, js_reject) -> None:
            self._releases[name] = js_resolve

        return js.Promise.new(create_once_callable(executor))


async def request_persistence() -> bool | None:
    """Ask the browser to keep this origin's storage under pressure.

    Return True when granted, False when refused, None when the browser has
    no StorageManager API.
    """
    try:
        js_manager = js.navigator.storage
    except (JsException, AttributeError):
        return None
    if is_null(js_manager) or not hasattr(js_manager, "persist"):
        return None
    try:
        if bool(await js_manager.persisted()):
            return True
        return bool(await js_manager.persist())
    except JsException as error:
        log.warning("navigator.storage.persist failed: %s", error)
        return False
