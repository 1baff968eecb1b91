"""Bad input in the page: each file gets a clear message and nothing else breaks."""

from __future__ import annotations

import zipfile

import pytest

from support import add_files, row, sign_in, wait_status, write_sized_file, write_text_file

MIB = 1024 * 1024
PNG_HEADER = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def messages(page) -> str:
    return page.locator("#messages").inner_text()


def make_empty(tmp_path):
    return write_text_file(tmp_path, "empty.txt", "")


def make_oversized(tmp_path):
    return write_sized_file(tmp_path, "huge.txt", 50 * MIB + 1)


def make_wrong_extension(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(PNG_HEADER)
    return path


def make_binary_named_text(tmp_path):
    path = tmp_path / "disguised.txt"
    path.write_bytes(PNG_HEADER)
    return path


def make_broken_docx(tmp_path):
    return write_text_file(tmp_path, "broken.docx", "This is not a Word document.")


def make_docx_bomb(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * (200 * MIB))
    return path


@pytest.mark.parametrize(
    ("make", "name", "expected"),
    [
        (make_empty, "empty.txt", "is empty"),
        (make_oversized, "huge.txt", "larger than the 50.0 MB limit"),
        (make_wrong_extension, "photo.png", "accepts .txt, .md, .docx"),
        (make_binary_named_text, "disguised.txt", "not text"),
        (make_broken_docx, "broken.docx", "not a valid .docx"),
        (make_docx_bomb, "bomb.docx", "unpack"),
    ],
)
def test_bad_file_gets_clear_message(page, server, tmp_path, make, name, expected):
    sign_in(page, server)

    add_files(page, make(tmp_path))

    wait_status(page, name, "failed")
    detail = row(page, name).locator(".row-status").inner_text()
    assert expected.lower() in detail.lower(), detail
    assert page.probe.errors == []

    good = write_text_file(tmp_path, "after.txt", "The app keeps working after bad input.\n")
    add_files(page, good)
    wait_status(page, "after.txt", "succeeded")


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
