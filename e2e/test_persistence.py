"""The upload queue survives a reload, bad saved records, a full storage, two tabs and two users."""

from __future__ import annotations

import json
import time

import pytest
from support import (
    DEMO_PASSWORD,
    DEMO_USER,
    ApiServer,
    add_files,
    open_app,
    row,
    sign_in,
    wait_status,
    write_text_file,
)

MIB = 1024 * 1024
HOUR_MS = 3600 * 1000
QUEUE_KEY = f"uploader.queue.v1.{DEMO_USER}"
SECOND_USER = "second"
SECOND_PASSWORD = "second-password"

# Rows of the queue with the given status.
ROWS = "#queue li[data-file-id][data-status='{}']"


def write_table_file(directory, name: str, size: int):
    """Write a text file of `size` bytes that is mostly numbers.

    The server paraphrases only words, so such a file is processed faster
    than prose: 0.8 s against 7.7 s for 2 MiB in one run of `paraphrase_file`
    on a loaded 2-core machine.
    """
    line = b"Row 0123456789 0123456789 0123456789 0123456789 0123456789 012\n"
    path = directory / name
    path.write_bytes((line * (size // len(line) + 1))[:size])
    return path


def accept_dialogs(page) -> None:
    """Accept the leave-page prompt, so a reload mid-upload goes ahead."""
    page.on("dialog", lambda dialog: dialog.accept())


def saved_record(page, key: str = QUEUE_KEY) -> dict | None:
    text = page.evaluate("key => localStorage.getItem(key)", key)
    return json.loads(text) if text else None


def wait_saved(page, count: int, key: str = QUEUE_KEY, timeout: float = 30_000) -> None:
    page.wait_for_function(
        """([key, count]) => {
        const text = localStorage.getItem(key);
        return text !== null && JSON.parse(text).files.length === count;
    }""",
        arg=[key, count],
        timeout=timeout,
    )


def clear_stored_files(page) -> None:
    """Delete every File object the page stored in IndexedDB."""
    page.evaluate(
        """() => new Promise((resolve, reject) => {
        const request = indexedDB.open('uploader-files', 1);
        request.onsuccess = () => {
            const transaction = request.result.transaction('files', 'readwrite');
            transaction.objectStore('files').clear();
            transaction.oncomplete = () => resolve(true);
            transaction.onerror = () => reject(transaction.error);
        };
        request.onerror = () => reject(request.error);
    })"""
    )


def messages(page) -> str:
    return page.locator("#messages").inner_text()


def wait_progress(page, name: str, percent: int) -> None:
    page.wait_for_function(
        """([name, percent]) => [...document.querySelectorAll('#queue li[data-file-id]')]
        .some(li => li.textContent.includes(name)
            && Number(li.querySelector('[role=progressbar]')
                .getAttribute('aria-valuenow')) >= percent)""",
        arg=[name, percent],
        timeout=60_000,
    )


def sign_in_as(page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#workspace").wait_for(state="visible")


@pytest.fixture(scope="module")
def two_user_server(tmp_path_factory) -> ApiServer:
    """A server whose database has the demo user and a second user."""
    api = ApiServer(tmp_path_factory.mktemp("two-users"))
    api.start("--demo-user", SECOND_USER, "--demo-password", SECOND_PASSWORD)
    api.stop()
    # The second start adds the demo user to the same database.
    api.start()
    yield api
    api.stop()


def wait_restored(page) -> None:
    """Wait until the saved queue of the signed-in user was restored."""
    page.locator("#storage-status", has_text="Saved uploads").wait_for()


def test_reload_mid_batch_resumes_every_file(page, server, tmp_path):
    server.configure(readBytesPerSecond=2 * MIB)
    names = [f"big-{n}.txt" for n in range(3)]
    paths = [write_table_file(tmp_path, name, 10 * MIB) for name in names]
    accept_dialogs(page)
    sign_in(page, server)

    add_files(page, *paths)
    wait_progress(page, names[0], 20)
    wait_saved(page, 3)
    page.reload()
    # The old page's requests ended with it. A slow rate shrinks the receive
    # buffer of each new connection for good, so the resumed uploads get none.
    server.configure(readBytesPerSecond=0)
    page.wait_for_function("window.uploaderReady === true", timeout=60_000)

    for name in names:
        row(page, name).wait_for()
    page.locator("#messages", has_text="3 uploads restored, resuming").wait_for()
    for name in names:
        wait_status(page, name, "succeeded", timeout=120_000)

    stats = server.stats()
    assert stats["uploadsProcessed"] == 3
    assert stats["distinctIdempotencyKeys"] == 3
    assert page.locator("#reselect-input").evaluate("input => input.files.length") == 0
    wait_saved(page, 0)
    assert page.probe.errors == []


def test_missing_file_is_selected_again(page, server, tmp_path):
    server.configure(readBytesPerSecond=1 * MIB)
    path = write_table_file(tmp_path, "lost.txt", 5 * MIB)
    other = write_table_file(tmp_path, "other.txt", 1 * MIB)
    accept_dialogs(page)
    sign_in(page, server)

    add_files(page, path)
    wait_progress(page, "lost.txt", 10)
    wait_saved(page, 1)
    # The browser evicted the stored File objects.
    clear_stored_files(page)
    page.reload()
    server.configure(readBytesPerSecond=0)
    page.wait_for_function("window.uploaderReady === true", timeout=60_000)

    wait_status(page, "lost.txt", "interrupted")
    assert "1 needs its file selected again" in messages(page)
    reselect = row(page, "lost.txt").get_by_role("button", name="Select file again")

    with page.expect_file_chooser() as chooser:
        reselect.click()
    chooser.value.set_files(str(other))
    page.locator("#messages", has_text="is not the file of this row").wait_for()
    assert row(page, "lost.txt").get_attribute("data-status") == "interrupted"

    with page.expect_file_chooser() as chooser:
        reselect.click()
    chooser.value.set_files(str(path))
    wait_status(page, "lost.txt", "succeeded", timeout=120_000)
    stats = server.stats()
    assert stats["uploadsProcessed"] == 1
    assert page.probe.errors == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("OLD", "saved more than 24 hours ago"),
    ],
)
def test_bad_saved_record_ignored(context, page, server, tmp_path, record, reason):
    if record == "OLD":
        saved_at = int(time.time() * 1000) - 25 * HOUR_MS
        record = json.dumps(
            {"version": 1, "savedAt": saved_at, "owner": DEMO_USER, "files": []}
        )
    # Written before the page's scripts run on the first load only, because
    # the page saves its own record when it unloads.
    context.add_init_script(
        f"""if (!sessionStorage.getItem('seeded')) {{
            sessionStorage.setItem('seeded', '1');
            localStorage.setItem({json.dumps(QUEUE_KEY)}, {json.dumps(record)});
            localStorage.setItem('uploader.user', {json.dumps(DEMO_USER)});
        }}"""
    )
    sign_in(page, server)

    page.locator("#messages", has_text=reason).wait_for()
    assert page.locator("#queue li[data-file-id]").count() == 0
    add_files(page, write_text_file(tmp_path, "after.txt", "A short text to paraphrase.\n"))
    wait_status(page, "after.txt", "succeeded")
    # Status changes reach the record within a quarter of a second.
    wait_saved(page, 0, timeout=5_000)
    assert saved_record(page)["files"] == []
    assert page.probe.errors == []


def test_full_local_storage_falls_back(page, server, tmp_path):
    sign_in(page, server)
    filled = page.evaluate(
        """() => {
        // Fill localStorage in halving chunks until it refuses one character more.
        let chunk = 'x'.repeat(1024 * 1024), index = 0, total = 0;
        while (chunk.length > 0) {
            try {
                localStorage.setItem('filler.' + index, chunk);
                index += 1;
                total += chunk.length;
            } catch (error) {
                chunk = chunk.slice(0, Math.floor(chunk.length / 2));
            }
        }
        return total;
    }"""
    )
    assert filled > 1_000_000
    paths = [write_text_file(tmp_path, f"tiny-{n:03}.txt", f"Note {n}.\n") for n in range(200)]

    add_files(page, *paths)
    page.locator("#notice", has_text="Progress won't survive a reload").wait_for()
    page.wait_for_function(
        f"document.querySelectorAll(\"{ROWS.format('succeeded')}\").length === 200",
        timeout=240_000,
    )
    assert server.stats()["uploadsProcessed"] == 200
    assert page.probe.errors == []


def test_second_tab_uploads_nothing_twice(context, page, server, tmp_path):
    # Slow enough that the uploads still run while the second tab starts.
    server.configure(readBytesPerSecond=64 * 1024)
    names = [f"shared-{n}.txt" for n in range(3)]
    paths = [write_table_file(tmp_path, name, 2 * MIB) for name in names]
    sign_in(page, server)
    add_files(page, *paths)
    wait_saved(page, 3)

    second = context.new_page()
    second.set_default_timeout(30_000)
    open_app(second, server)
    for name in names:
        row(second, name).wait_for()
    assert second.locator("#queue li", has_text="In another tab").count() == 3
    second.locator("#messages", has_text="3 are uploading in another tab").wait_for()

    server.configure(readBytesPerSecond=0)
    for name in names:
        wait_status(page, name, "succeeded", timeout=120_000)
    second.wait_for_function(
        "document.querySelectorAll('#queue li[data-file-id]').length === 0",
        timeout=30_000,
    )
    stats = server.stats()
    assert stats["uploadsStarted"] == 3
    assert stats["uploadsProcessed"] == 3
    assert stats["distinctIdempotencyKeys"] == 3


def test_second_tab_takes_over_closed_tab(context, page, server, tmp_path):
    server.configure(readBytesPerSecond=64 * 1024)
    path = write_table_file(tmp_path, "handover.txt", 2 * MIB)
    sign_in(page, server)
    add_files(page, path)
    wait_saved(page, 1)

    second = context.new_page()
    second.set_default_timeout(30_000)
    open_app(second, server)
    second.locator("#queue li", has_text="In another tab").wait_for()
    server.configure(readBytesPerSecond=0)
    page.close(run_before_unload=False)

    wait_status(second, "handover.txt", "succeeded", timeout=120_000)
    stats = server.stats()
    assert stats["uploadsProcessed"] == 1
    assert stats["distinctIdempotencyKeys"] == 1


def test_queue_belongs_to_signed_in_user(page, two_user_server, tmp_path):
    server = two_user_server
    server.reset()
    server.configure(readBytesPerSecond=512 * 1024)
    path = write_table_file(tmp_path, "first-user.txt", 5 * MIB)
    accept_dialogs(page)
    sign_in(page, server)
    add_files(page, path)
    wait_progress(page, "first-user.txt", 5)
    wait_saved(page, 1)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").wait_for()
    assert page.locator("#queue li[data-file-id]").count() == 0
    assert saved_record(page)["files"][0]["name"] == "first-user.txt"

    sign_in_as(page, SECOND_USER, SECOND_PASSWORD)
    wait_restored(page)
    assert page.locator("#queue li[data-file-id]").count() == 0
    assert "restored" not in messages(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").wait_for()

    server.configure(readBytesPerSecond=0)
    sign_in_as(page, DEMO_USER, DEMO_PASSWORD)
    wait_restored(page)
    row(page, "first-user.txt").wait_for()
    wait_status(page, "first-user.txt", "succeeded", timeout=120_000)
    stats = server.stats()
    assert stats["uploadsProcessed"] == 1
    assert stats["distinctIdempotencyKeys"] == 1
    assert page.probe.errors == []


def test_refused_file_store_warns_and_uploads(context, page, server, tmp_path):
    # IndexedDB rejects every File, as it does when the browser's quota is used up.
    context.add_init_script(
        """IDBObjectStore.prototype.put = function () {
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        };"""
    )
    sign_in(page, server)
    paths = [
        write_text_file(tmp_path, f"kept-{index}.txt", f"Text number {index} to paraphrase.\n")
        for index in range(3)
    ]
    add_files(page, *paths)

    page.locator(
        "#messages", has_text="The browser could not keep 3 files for a reload"
    ).wait_for()
    assert "After a reload, select them again." in messages(page)
    for index in range(3):
        wait_status(page, f"kept-{index}.txt", "succeeded")
    assert page.probe.errors == []


def test_file_above_keep_limit_is_not_copied(page, server, tmp_path):
    page.route(
        "**/config.json",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"maxKeptFileBytes": 2 * MIB})
        ),
    )
    server.configure(readBytesPerSecond=1 * MIB)
    small = write_table_file(tmp_path, "small.txt", 1 * MIB)
    large = write_table_file(tmp_path, "large.txt", 5 * MIB)
    accept_dialogs(page)
    sign_in(page, server)
    add_files(page, small, large)

    page.locator(
        "#messages", has_text="“large.txt” (5.0 MB) is larger than 2.0 MB"
    ).wait_for()
    wait_progress(page, "large.txt", 10)
    stored = page.evaluate(
        """() => new Promise((resolve, reject) => {
        const request = indexedDB.open('uploader-files', 1);
        request.onsuccess = () => {
            const transaction = request.result.transaction('files', 'readonly');
            const store = transaction.objectStore('files');
            const keys = store.getAllKeys();
            const values = store.getAll();
            transaction.oncomplete = () => resolve(keys.result.map((key, index) =>
                [key, values.result[index] instanceof File ? values.result[index].name : 'mark']));
            transaction.onerror = () => reject(transaction.error);
        };
        request.onerror = () => reject(request.error);
    })"""
    )
    assert [name for _, name in stored] == ["small.txt"]

    page.reload()
    server.configure(readBytesPerSecond=0)
    page.wait_for_function("window.uploaderReady === true", timeout=60_000)
    wait_status(page, "large.txt", "interrupted")
    assert row(page, "large.txt").get_by_role("button", name="Select file again").count() == 1


def test_missing_files_selected_again_together(page, server, tmp_path):
    server.configure(readBytesPerSecond=1 * MIB)
    paths = [write_table_file(tmp_path, f"gone-{index}.txt", 3 * MIB) for index in range(2)]
    accept_dialogs(page)
    sign_in(page, server)
    add_files(page, *paths)
    wait_progress(page, "gone-0.txt", 5)
    wait_saved(page, 2)
    # The browser evicted the stored File objects.
    clear_stored_files(page)
    page.reload()
    server.configure(readBytesPerSecond=0)
    page.wait_for_function("window.uploaderReady === true", timeout=60_000)
    for path in paths:
        wait_status(page, path.name, "interrupted")

    # The ordinary file button, not each row's "Select file again".
    add_files(page, *paths)

    page.locator("#messages", has_text="2 files found again; their uploads continue.").wait_for()
    for path in paths:
        wait_status(page, path.name, "succeeded", timeout=120_000)
    assert page.locator("#queue li[data-file-id]").count() == 2
    stats = server.stats()
    assert stats["uploadsProcessed"] == 2
    assert stats["distinctIdempotencyKeys"] == 2
    assert page.probe.errors == []
