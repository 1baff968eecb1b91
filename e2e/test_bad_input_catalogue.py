"""The page's side of the bad-input catalogue in docs/bad-inputs.md.

Many bad files go into one selection on one signed-in page, because Pyodide
takes seconds to start; each row must end with its own clear message, and a
good file added afterwards must still succeed.
"""

from __future__ import annotations

import zipfile

from support import add_files, open_app, row, sign_in, wait_status, write_sized_file, write_text_file

MIB = 1024 * 1024
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
GOOD_TEXT = "The app keeps working after bad input. Careful people read the manual.\n"
MARKUP_NAME = "<img src=x onerror=window.__injected=1>.txt"


def write_bytes(directory, name: str, data: bytes):
    path = directory / name
    path.write_bytes(data)
    return path


def write_docx_bomb(directory):
    path = directory / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            for _ in range(256):
                entry.write(b"\0" * MIB)
    return path


# Messages leave the live region after a few seconds, so an observer keeps a
# copy of every message the page shows.
RECORD_MESSAGES = """
window.seenMessages = [];
new MutationObserver((mutations) => {
  for (const mutation of mutations) {
    for (const node of mutation.addedNodes) window.seenMessages.push(node.textContent);
  }
}).observe(document.getElementById("messages"), {childList: true});
"""


def seen_messages(page) -> list[str]:
    return page.evaluate("window.seenMessages")


def row_detail(page, name: str) -> str:
    return row(page, name).locator(".row-status").text_content()


def test_bad_files_in_one_selection(page, server, tmp_path):
    cases = {
        # name: (file, final status, fragment of the row's message)
        "empty.txt": (write_text_file(tmp_path, "empty.txt", ""), "failed", "is empty (0 bytes)"),
        "huge.txt": (write_sized_file(tmp_path, "huge.txt", 50 * MIB + 1), "failed", "larger than the 50.0 MB limit"),
        "photo.png": (write_bytes(tmp_path, "photo.png", PNG_BYTES), "failed", "accepts .txt, .md, .docx"),
        "disguised.txt": (write_bytes(tmp_path, "disguised.txt", PNG_BYTES), "failed", "looks like a PNG image, not text"),
        "letter.docx": (write_text_file(tmp_path, "letter.docx", GOOD_TEXT), "failed", "not a valid .docx"),
        "bomb.docx": (write_docx_bomb(tmp_path), "failed", "unpacks too large"),
        "bell\x07name.md": (write_text_file(tmp_path, "bell\x07name.md", GOOD_TEXT), "succeeded", ""),
        MARKUP_NAME: (write_text_file(tmp_path, MARKUP_NAME, GOOD_TEXT), "succeeded", ""),
    }
    duplicate = write_text_file(tmp_path, "twice.txt", GOOD_TEXT)
    sign_in(page, server)
    page.evaluate(RECORD_MESSAGES)

    add_files(page, *[path for path, _, _ in cases.values()], duplicate, duplicate)

    for name, (path, status, fragment) in cases.items():
        # The tail of the name avoids the characters a row may show differently.
        wait_status(page, name[-7:], status)
        if fragment:
            detail = row_detail(page, name)
            assert fragment in detail, (name, detail)
    bell_row = row(page, "name.md").locator(".row-name").inner_text()
    assert "\x07" not in bell_row
    wait_status(page, "twice.txt", "succeeded")
    assert page.locator("#queue li[data-file-id]", has_text="twice.txt").count() == 1
    skipped = [text for text in seen_messages(page) if "already in the queue" in text]
    assert skipped == ["“twice.txt” is already in the queue. It was not added again."]
    # The markup in a file name is shown as text and never parsed as HTML.
    assert page.locator("#queue img").count() == 0
    assert page.evaluate("window.__injected") is None
    assert page.probe.errors == []

    add_files(page, write_text_file(tmp_path, "after.txt", GOOD_TEXT))
    wait_status(page, "after.txt", "succeeded")


def test_thousands_of_files_at_once(page, server, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    paths = [write_text_file(folder, f"blank-{index:04}.txt", "") for index in range(2000)]
    sign_in(page, server)
    page.evaluate(RECORD_MESSAGES)

    add_files(page, *paths)

    page.wait_for_function(
        "document.querySelectorAll(\"#queue li[data-status='failed']\").length === 2000",
        timeout=120_000,
    )
    assert "is empty" in row_detail(page, "blank-1999.txt")
    errors = [text for text in seen_messages(page) if "is empty" in text]
    assert len(errors) == 3
    assert "1997 more files were rejected; each row says why." in seen_messages(page)
    assert page.probe.errors == []

    add_files(page, write_text_file(tmp_path, "after.txt", GOOD_TEXT))
    wait_status(page, "after.txt", "succeeded", timeout=120_000)


def test_settings_out_of_range_stop_start(page, server):
    page.route(
        "**/config.json",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"concurrency": 0}'
        ),
    )

    page.goto(server.url + "/")

    startup = page.locator("#startup")
    page.wait_for_function(
        "document.getElementById('startup').textContent.includes('cannot start')",
        timeout=60_000,
    )
    text = startup.inner_text()
    assert "Setting concurrency is 0, outside the accepted range 1 to 16." in text
    uncaught = [error for error in page.probe.errors if error.startswith("pageerror")]
    assert uncaught == []


def test_config_not_json_stops_start(page, server):
    page.route(
        "**/config.json",
        lambda route: route.fulfill(status=200, content_type="application/json", body="{oops"),
    )

    page.goto(server.url + "/")

    page.wait_for_function(
        "document.getElementById('startup').textContent.includes('cannot start')",
        timeout=60_000,
    )
    assert "config.json is not valid JSON" in page.locator("#startup").inner_text()


def test_missing_batch_script_stops_start(page, server):
    page.route("**/assets/batch*.js", lambda route: route.fulfill(status=404, body=""))

    page.goto(server.url + "/")

    page.wait_for_function(
        "document.getElementById('startup').textContent.includes('cannot start')",
        timeout=60_000,
    )
    text = page.locator("#startup").inner_text()
    assert "assets/batch.js did not load. Reload the page." in text
