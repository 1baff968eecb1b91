"""The page: wires the DOM, the API client and the upload manager together.

This is the only place that knows the page's element ids. It signs the
user in, turns chosen and dropped files into queue items, forwards button
clicks to the manager, and shows messages in the page's live region.

The access token lives only in `TokenManager`, in memory. On load the page
tries a silent refresh with the refresh cookie, so a reload keeps the user
signed in without the form.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import deque

import js
from pyodide.ffi import JsException, create_once_callable, create_proxy, to_js

from app.auth import SessionExpired, TokenManager
from app.config import AppConfig
from app.errors import ConfigError, HttpError, NetworkError, UploaderError
from app.format import format_size
from app.manager import AddResult, ManagerHooks, UploadManager
from app.model import FileInfo, UploadItem, UploadOptions
from app.presenter import SELECT_AGAIN, summarize_queue
from app.browser.api import ApiClient
from app.browser.connectivity import Connectivity
from app.browser.downloads import save_url
from app.browser.history import HistoryPanel
from app.browser.interop import is_null
from app.browser.saved_queue import SavedQueue, file_info
from app.browser.session import TabSessionSync
from app.browser.view import QueueView
from app.browser.xhr import XhrTransport

__all__ = ["Page", "start"]

log = logging.getLogger(__name__)

SESSION_EXPIRED_REASON = "Your session expired. Sign in to continue your uploads."

# localStorage key of the last signed-in user, whose saved queue a reload restores.
_USER_KEY = "uploader.user"

# How long a message stays in the message area, and how many are shown.
_MESSAGE_MS = 8000
_MAX_MESSAGES = 4
# Milliseconds of reading file sizes and dates per task while files are added.
_DESCRIBE_BUDGET_MS = 30
# Messages about one selection shown one by one; a single line counts the rest.
_MAX_MESSAGES_PER_SELECTION = 3


def _element(element_id: str):
    return js.document.getElementById(element_id)


class Page:
    """The running uploader page."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.api = ApiClient(config)
        self.tab_sync = TabSessionSync(self.api)
        self.tokens = TokenManager(
            self.tab_sync.refresh, on_session_expired=self._on_session_expired
        )
        self.tab_sync.attach(self.tokens)
        # True between a sign-in (or a silent refresh on load) and the end of
        # that session.
        self.signed_in = False
        self.username: str | None = None
        self._proxies: list = []
        self.manager = UploadManager(
            config,
            XhrTransport(),
            auth=self.tokens,
            clock=time.time,
            sleep=asyncio.sleep,
            random=random.random,
            new_id=lambda: uuid.uuid4().hex[:12],
            new_key=lambda: str(uuid.uuid4()),
            is_offline=lambda: not js.navigator.onLine,
            hooks=ManagerHooks(
                item_added=self._on_item_added,
                transfer_failed=lambda item: self.connectivity.transfer_failed(),
                item_changed=self._on_item_changed,
                item_removed=self._on_item_removed,
                item_succeeded=self._on_item_succeeded,
                message=self.show_message,
                sign_in_required=self._on_sign_in_required,
                hook_failed=self._on_hook_failed,
            ),
        )
        self.view = QueueView(
            _element("queue"),
            clock=time.time,
            max_attempts=lambda: self.manager.policy.max_attempts,
            on_action=self._on_row_action,
            after_redraw=self._update_summary,
        )
        self.history = HistoryPanel(
            _element("history"),
            _element("history-empty"),
            self.api,
            self.show_message,
            self.tokens.send_with_token,
        )
        self._download_urls: dict[str, str] = {}
        # Files dropped before sign-in, as JavaScript File objects; they are
        # queued once a session exists, so none fails for lack of a token.
        self._held_files: list = []
        self.connectivity = Connectivity(
            self.manager, self.api.health, _element("offline-banner"), self.show_message
        )
        self.saved = SavedQueue(
            self.manager,
            self.view,
            self.show_message,
            _element("notice"),
            _element("storage-status"),
        )
        # Selections waiting to be queued, with the options chosen for them.
        self._selections: deque = deque()
        self._adding = False
        self._sign_outs = 0
        # The id of the row whose "Select file again" opened the file chooser.
        self._reselect_id: str | None = None

    # Start-up and sign-in.

    async def start(self) -> None:
        self._bind_events()
        _element("limit-size").textContent = format_size(self.config.max_file_bytes)
        _element("startup").hidden = True
        self._take_early_files()
        try:
            await self.tokens.refresh()
        except (SessionExpired, HttpError, NetworkError):
            self._show_sign_in()
        else:
            await self._signed_in(None)
        js.window.uploaderReady = True
        log.info("Uploader ready")

    def _bind_events(self) -> None:
        self._listen(_element("sign-in-form"), "submit", self._on_sign_in)
        self._listen(_element("sign-out"), "click", self._on_sign_out)
        self._listen(_element("file-input"), "change", self._on_file_input)
        self._listen(_element("reselect-input"), "change", self._on_reselect_input)
        self._listen(_element("retry-all"), "click", self._on_retry_all)
        self._listen(_element("clear-completed"), "click", self._on_clear_completed)
        self._listen(_element("history-refresh"), "click", self._on_history_refresh)
        self._listen(_element("opt-synonym"), "input", self._on_synonym_input)
        drop_zone = _element("drop-zone")
        for event in ("dragenter", "dragover"):
            self._listen(drop_zone, event, self._on_drag_over)
        self._listen(drop_zone, "dragleave", self._on_drag_leave)
        self._listen(drop_zone, "drop", self._on_drop)
        self._listen(js.window, "beforeunload", self._on_before_unload)

    def _listen(self, js_target, event: str, handler) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        js_target.addEventListener(event, proxy)

    def _take_early_files(self) -> None:
        """Take the files dropped while Python started, and later page drops."""
        boot = getattr(js.window, "uploaderBoot", None)
        if boot is None:
            log.warning(
                "assets/boot.js did not run, so files dropped outside the drop zone "
                "are ignored"
            )
            return
        proxy = create_proxy(self._on_page_drop)
        self._proxies.append(proxy)
        self._hold_files(boot.takeFiles(proxy))

    def _on_page_drop(self, js_files) -> None:
        if not self.signed_in:
            self._hold_files(js_files)
        else:
            self.add_files(js_files)

    def _hold_files(self, js_files) -> None:
        js_array = js.Array.from_(js_files)
        count = int(js_array.length)
        if count == 0:
            return
        self._held_files.extend(js_array[index] for index in range(count))
        if self.signed_in:
            self._queue_held_files()
            return
        total = len(self._held_files)
        note = _element("early-files")
        note.textContent = (
            f"{total} file{'s' if total != 1 else ''} received. "
            "Sign in and they will be added to the queue."
        )
        note.hidden = False

    def _queue_held_files(self) -> None:
        _element("early-files").hidden = True
        if not self._held_files:
            return
        js_files = to_js(self._held_files)
        self._held_files = []
        self.add_files(js_files)

    def _show_sign_in(self, reason: str | None = None, *, keep_queue: bool = False) -> None:
        """Show the sign-in form; with `keep_queue` the uploads stay in view."""
        _element("workspace").hidden = not keep_queue
        _element("account").hidden = True
        _element("sign-in").hidden = False
        if reason:
            _element("sign-in-reason").textContent = reason
        _element("username").focus()

    async def _signed_in(self, username: str | None) -> None:
        self.signed_in = True
        if username:
            self.username = username
        _element("sign-in").hidden = True
        _element("sign-in-error").textContent = ""
        _element("workspace").hidden = False
        _element("account").hidden = False
        _element("account-name").textContent = self.username or "Signed in"
        owner = self.username or _remembered_user()
        if owner:
            _remember_user(owner)
            await self.saved.start(owner)
        else:
            log.warning("The signed-in user is unknown, so the queue is not saved")
        resumed = self.manager.resume_after_sign_in()
        if resumed:
            self.show_message(
                f"Continuing {resumed} upload{'s' if resumed != 1 else ''}.", "info"
            )
        self._queue_held_files()
        await self.history.load()

    def _on_session_expired(self) -> None:
        """Hold the uploads when the server rejects the refresh cookie."""
        # A rejected silent refresh on load only means that no user is signed in.
        if self.signed_in:
            self.manager.require_sign_in()

    def _on_sign_in_required(self) -> None:
        if not self.signed_in:
            return
        self.signed_in = False
        self._show_sign_in(SESSION_EXPIRED_REASON, keep_queue=True)
        self.show_message(SESSION_EXPIRED_REASON, "warning")

    def _on_sign_in(self, js_event) -> None:
        js_event.preventDefault()
        asyncio.ensure_future(self._sign_in())

    async def _sign_in(self) -> None:
        username = str(_element("username").value).strip()
        password = str(_element("password").value)
        error_text = _element("sign-in-error")
        if not username or not password:
            error_text.textContent = "Enter your username and password."
            return
        error_text.textContent = ""
        try:
            session = await self.api.login(username, password)
        except (HttpError, NetworkError) as error:
            error_text.textContent = error.message
            return
        _element("password").value = ""
        self.tokens.set_token(session.token, session.expires_in)
        await self._signed_in(username)
        self.show_message(f"Signed in as {username}.", "info")

    def _on_sign_out(self, js_event) -> None:
        asyncio.ensure_future(self._sign_out())

    async def _sign_out(self) -> None:
        self.signed_in = False
        self._sign_outs += 1
        self._selections.clear()
        # The saved queue stays for this user's next sign-in, and the rows go.
        # The File objects still waiting are stored first, so those files
        # resume then. The queue is saved and detached before the
        # cancellation below, so the cancellation is not saved.
        await self.saved.keep_waiting_files()
        self.saved.stop()
        _forget_user()
        self.username = None
        self.manager.cancel_unfinished()
        self.tokens.clear()
        self.manager.require_sign_in(notify=False)
        try:
            await self.api.logout()
        except (HttpError, NetworkError) as error:
            log.warning("Sign-out request failed: %s", error.message)
        self.history.clear()
        self._show_sign_in("You are signed out.")

    # Adding files.

    def _on_file_input(self, js_event) -> None:
        js_input = js_event.target
        self.add_files(js_input.files)
        js_input.value = ""

    def _on_drag_over(self, js_event) -> None:
        js_event.preventDefault()
        _element("drop-zone").classList.add("dragging")

    def _on_drag_leave(self, js_event) -> None:
        _element("drop-zone").classList.remove("dragging")

    def _on_drop(self, js_event) -> None:
        js_event.preventDefault()
        _element("drop-zone").classList.remove("dragging")
        if not is_null(js_event.dataTransfer):
            self.add_files(js_event.dataTransfer.files)

    def add_files(self, js_files) -> None:
        """Queue the files of a FileList or Array; File objects stay in JavaScript.

        Files are described and queued in parts of about `_DESCRIBE_BUDGET_MS`
        each, one part per task, so the browser draws the first rows and
        starts the first uploads while it reads the rest. Selections made
        meanwhile wait their turn, so files keep the order they were chosen in.
        """
        js_files = js.Array.from_(js_files)
        count = int(js_files.length)
        if count == 0:
            return
        limit = self.config.max_files_per_selection
        if count > limit:
            self.show_message(
                f"{count} files were chosen; only the first {limit} were added. "
                "Add the rest in another selection.",
                "warning",
            )
            js_files = js_files.slice(0, limit)
        self._selections.append((js_files, self._current_options()))
        if not self._adding:
            self._adding = True
            asyncio.ensure_future(self._add_selections())

    async def _add_selections(self) -> None:
        try:
            while self._selections:
                js_files, options = self._selections.popleft()
                try:
                    await self._add_selection(js_files, options)
                except Exception as error:  # noqa: BLE001 - a selection never fails silently
                    log.exception("Adding a selection of files failed")
                    # The files queued before the error are saved and kept.
                    self.saved.items_added()
                    self.show_message(
                        f"Adding the chosen files failed ({error}). Check the queue "
                        "and add the missing files again.",
                        "error",
                    )
        finally:
            self._adding = False

    async def _add_selection(self, js_files, options: UploadOptions) -> None:
        total = int(js_files.length)
        result = AddResult()
        start = 0
        sign_outs = self._sign_outs
        while start < total:
            if start:
                # Lets the browser draw rows and run the uploads' events.
                await asyncio.sleep(0)
                if self._sign_outs != sign_outs:
                    # Signing out ends the selection; the files queued so far
                    # stay in the saved queue for the next sign-in.
                    left = total - start
                    self.show_message(
                        f"{left} of the chosen files were not added, because you signed "
                        "out. Add them again after signing in.",
                        "warning",
                    )
                    return
            infos = describe_files(js_files, start, _DESCRIBE_BUDGET_MS)
            part = self.manager.add_files(infos, options)
            for item in part.attached:
                self.saved.file_attached(item)
            result.extend(part)
            start += len(infos)
        self.saved.items_added()
        self._report_added(result)

    def _current_options(self) -> UploadOptions:
        return UploadOptions.from_inputs(
            str(_element("opt-mode").value),
            str(_element("opt-synonym").value),
            str(_element("opt-language").value),
            str(_element("opt-freeze").value),
        )

    def _report_added(self, result) -> None:
        if result.added:
            count = len(result.added)
            self.show_message(
                f"Added {count} file{'s' if count != 1 else ''} to the queue.", "info"
            )
        if result.attached:
            count = len(result.attached)
            if count == 1:
                text = f"“{result.attached[0].file.name}” found again; its upload continues."
            else:
                text = f"{count} files found again; their uploads continue."
            self.show_message(text, "info")
        rejected = [item.error or "A file was rejected." for item in result.rejected]
        self._show_some(rejected, "error", "more files were rejected; each row says why.")
        skipped = [f"{text} It was not added again." for text in result.skipped]
        self._show_some(skipped, "warning", "more files were already in the queue.")

    def _show_some(self, texts: list[str], level: str, rest: str) -> None:
        """Show the first few messages, then one line that counts the rest."""
        for text in texts[:_MAX_MESSAGES_PER_SELECTION]:
            self.show_message(text, level)
        hidden = len(texts) - _MAX_MESSAGES_PER_SELECTION
        if hidden > 0:
            self.show_message(f"{hidden} {rest}", level)

    def _on_synonym_input(self, js_event) -> None:
        _element("opt-synonym-value").textContent = f"{js_event.target.value} %"

    # Queue actions.

    def _on_row_action(self, action: str, item_id: str) -> None:
        if action == "cancel":
            self.manager.cancel(item_id)
        elif action == "retry":
            self.manager.retry(item_id)
        elif action == "remove":
            self.manager.remove(item_id)
        elif action == "download":
            self._download(item_id)
        elif action == SELECT_AGAIN.lower():
            self._reselect_id = item_id
            _element("reselect-input").click()

    def _on_reselect_input(self, js_event) -> None:
        js_input = js_event.target
        item_id, self._reselect_id = self._reselect_id, None
        if item_id is None or int(js_input.files.length) == 0:
            return
        info = file_info(js_input.files.item(0))
        js_input.value = ""
        item = self.manager.queue.get(item_id)
        if item is None:
            return
        if not self.manager.attach_file(item_id, info):
            expected = item.file
            self.show_message(
                f"“{info.name}” is not the file of this row. Select “{expected.name}” "
                f"({format_size(expected.size)}, the same version as before).",
                "error",
            )
            return
        self.saved.file_attached(item)
        self.show_message(f"“{info.name}” found again; its upload continues.", "info")

    def _on_retry_all(self, js_event) -> None:
        count = self.manager.retry_all_failed()
        if count:
            self.show_message(f"Retrying {count} failed file{'s' if count != 1 else ''}.", "info")
        else:
            self.show_message("No failed files can be retried.", "info")

    def _on_clear_completed(self, js_event) -> None:
        count = self.manager.clear_completed()
        self.show_message(
            f"Cleared {count} completed file{'s' if count != 1 else ''}.", "info"
        )

    def _on_history_refresh(self, js_event) -> None:
        asyncio.ensure_future(self.history.load())

    def _download(self, item_id: str) -> None:
        item = self.manager.queue.get(item_id)
        url = self._download_urls.get(item_id)
        if item is None or url is None:
            self.show_message("That file is no longer available to download.", "error")
            return
        save_url(url, item.result_name or item.file.name)

    # Manager hooks.

    def _on_item_added(self, item: UploadItem) -> None:
        self.view.add(item)
        self.saved.item_added(item)

    def _on_item_changed(self, item: UploadItem) -> None:
        self.view.mark(item)
        self.saved.item_changed(item)

    def _on_item_removed(self, item: UploadItem) -> None:
        self.saved.item_removed(item)
        url = self._download_urls.pop(item.id, None)
        if url is not None:
            js.URL.revokeObjectURL(url)
        self.view.remove(item)

    def _on_item_succeeded(self, item: UploadItem) -> None:
        self._download_urls[item.id] = str(js.URL.createObjectURL(item.result.body))
        log.info("File %s succeeded after %d attempt(s)", item.id, item.attempts)
        self.history.schedule_load()

    def _on_hook_failed(self, where: str, error: BaseException) -> None:
        log.error("Error in %s: %r", where, error)
        self.show_message(f"Something went wrong while updating the page: {error}", "error")

    def _on_before_unload(self, js_event) -> None:
        # Browsers show their own leave-page text, and only after the user
        # has interacted with the page.
        # A selection still being added, or File objects not yet stored,
        # would be lost as well.
        if self.manager.queue.has_unfinished_work() or self._adding or self.saved.keeping:
            js_event.preventDefault()
            js_event.returnValue = ""

    def _update_summary(self) -> None:
        queue = self.manager.queue
        _element("queue-empty").hidden = len(queue) > 0
        _element("queue-summary").textContent = summarize_queue(queue)

    # Messages.

    def show_message(self, text: str, level: str = "info") -> None:
        region = _element("messages")
        js_message = js.document.createElement("div")
        js_message.className = f"message {level}"
        js_message.textContent = text
        region.appendChild(js_message)
        while region.children.length > _MAX_MESSAGES:
            region.firstElementChild.remove()
        js.setTimeout(create_once_callable(js_message.remove), _MESSAGE_MS)


def describe_files(js_files, start: int, budget_ms: float) -> list[FileInfo]:
    """Describe File objects of a JavaScript Array from index `start` on.

    It stops after the first file that ends past `budget_ms`, so the
    result contains at least one file. The properties of all the files come
    in one JSON text from the page's batch helper, and the File objects
    themselves stay in JavaScript.
    """
    described = json.loads(
        str(js.uploaderBatch.describeFiles(js_files, start, budget_ms))
    )
    sources = js_files.slice(start, start + len(described)).to_py(depth=1)
    return [
        FileInfo(name=name, size=int(size), type=kind, last_modified=int(modified), source=source)
        for (name, size, kind, modified), source in zip(described, sources)
    ]


def _remembered_user() -> str | None:
    try:
        value = js.window.localStorage.getItem(_USER_KEY)
    except JsException:
        return None
    return None if is_null(value) or not value else str(value)


def _remember_user(username: str) -> None:
    try:
        js.window.localStorage.setItem(_USER_KEY, username)
    except JsException as error:
        log.warning("The signed-in user could not be remembered: %s", error)


def _forget_user() -> None:
    try:
        js.window.localStorage.removeItem(_USER_KEY)
    except JsException:
        pass


async def load_config() -> AppConfig:
    """Read `config.json` beside the page; a missing file means the defaults."""
    try:
        js_init = to_js({"cache": "no-store"}, dict_converter=js.Object.fromEntries)
        js_response = await js.fetch("./config.json", js_init)
    except JsException as error:
        raise ConfigError(f"Could not read config.json: {error}") from error
    if int(js_response.status) == 404:
        return AppConfig()
    if not js_response.ok:
        raise ConfigError(
            f"Could not read config.json: the server answered HTTP {js_response.status}."
        )
    text = str(await js_response.text())
    try:
        values = json.loads(text)
    except ValueError as error:
        raise ConfigError(
            f"config.json is not valid JSON ({error}). Fix the file and reload."
        ) from error
    try:
        return AppConfig.from_mapping(values)
    except ConfigError as error:
        raise ConfigError(
            f"config.json is invalid. {error.message} Fix the file and reload."
        ) from error


def _show_start_failure(reason: str) -> None:
    startup = _element("startup")
    startup.textContent = f"The uploader cannot start: {reason}"
    startup.classList.add("form-error")


async def start() -> None:
    """Start the uploader, or show why it cannot start."""
    if is_null(getattr(js.window, "uploaderBatch", None)):
        # The row writer and file reader of assets/batch.js; without them no
        # row can be shown.
        _show_start_failure("assets/batch.js did not load. Reload the page.")
        return
    try:
        config = await load_config()
    except UploaderError as error:
        log.error("Invalid configuration: %s", error.message)
        _show_start_failure(error.message)
        return
    page = Page(config)
    await page.start()
