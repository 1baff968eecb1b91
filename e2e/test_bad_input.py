"""Adding a file that is already uploading: it is queued once.

The other bad files are in test_bad_input_catalogue.py, all in one page.
"""

from __future__ import annotations

from support import add_files, sign_in, wait_status, write_text_file


def test_same_file_twice_is_added_once(page, server, tmp_path):
    server.add_faults(
        {"path": "/p-v2/api/files/file-paraphrase", "times": 1, "action": "delay", "seconds": 3}
    )
    path = write_text_file(tmp_path, "twice.txt", "Hello there, this is a short file.\n")
    sign_in(page, server)

    add_files(page, path)
    add_files(page, path)

    page.wait_for_function(
        "document.getElementById('messages').innerText.includes('already in the queue')"
    )
    assert page.locator("#queue li[data-file-id]").count() == 1
    wait_status(page, "twice.txt", "succeeded")
