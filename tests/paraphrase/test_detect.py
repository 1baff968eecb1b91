from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from server.paraphrase import (
    DocumentType,
    UnreadableFileError,
    UnsupportedTypeError,
    detect_document_type,
)
from server.paraphrase.detect import (
    MAX_DOCX_ENTRIES,
    MAX_DOCX_UNCOMPRESSED_BYTES,
    check_docx_archive,
)
from tests.paraphrase.documents import write_docx, write_zip_bomb

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n"


def write(tmp_path: Path, content: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.txt", DocumentType.TEXT),
        ("NOTES.TXT", DocumentType.TEXT),
        ("readme.md", DocumentType.MARKDOWN),
        ("dir/sub/readme.Md", DocumentType.MARKDOWN),
    ],
)
def test_detect_text_types(tmp_path, name, expected):
    source = write(tmp_path, "Plain words, café.\n".encode())

    assert detect_document_type(source, name) is expected


def test_detect_text_with_utf8_bom(tmp_path):
    source = write(tmp_path, b"\xef\xbb\xbfHello there.\n")

    assert detect_document_type(source, "bom.txt") is DocumentType.TEXT


def test_detect_empty_text(tmp_path):
    source = write(tmp_path, b"")

    assert detect_document_type(source, "empty.txt") is DocumentType.TEXT


def test_detect_docx(tmp_path):
    source = write_docx(tmp_path / "doc.docx", [[("Hello world.", False)]])

    assert detect_document_type(source, "report.docx") is DocumentType.DOCX


def test_document_type_content_types():
    assert DocumentType.TEXT.content_type == "text/plain; charset=utf-8"
    assert DocumentType.MARKDOWN.content_type == "text/markdown; charset=utf-8"
    assert DocumentType.DOCX.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


@pytest.mark.parametrize("name", ["tool.exe", "paper.pdf", "archive.tar.gz", "x.doc"])
def test_detect_unsupported_extension(tmp_path, name):
    source = write(tmp_path, b"Just text.")

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, name)

    message = raised.value.message
    assert "Supported types: .txt, .md, .docx" in message
    assert name.rsplit(".", 1)[-1] in message


@pytest.mark.parametrize("name", ["README", "noextension.", ".txt", ""])
def test_detect_missing_extension(tmp_path, name):
    source = write(tmp_path, b"Just text.")

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, name)

    assert "no file extension" in raised.value.message


def test_detect_png_named_txt(tmp_path):
    source = write(tmp_path, PNG_BYTES)

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, "photo.txt")

    assert "looks like a PNG image, not text" in raised.value.message


def test_detect_pdf_named_md(tmp_path):
    source = write(tmp_path, PDF_BYTES)

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, "paper.md")

    assert "looks like a PDF document, not text" in raised.value.message


def test_detect_docx_named_txt(tmp_path):
    source = write_docx(tmp_path / "doc.docx", [[("Hello world.", False)]])

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, "notes.txt")

    assert "ZIP archive" in raised.value.message


def test_detect_nul_bytes_in_text(tmp_path):
    source = write(tmp_path, b"Looks like text\x00but is not.")

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, "data.txt")

    assert "NUL bytes" in raised.value.message


def test_detect_invalid_utf8(tmp_path):
    source = write(tmp_path, "Caf\u00e9 au lait.".encode("latin-1"))

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, "latin1.txt")

    message = raised.value.message
    assert "not valid UTF-8" in message
    assert "offset 3" in message


def test_detect_invalid_utf8_after_first_chunk(tmp_path):
    source = write(tmp_path, b"a" * 100_000 + b"\xff tail")

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, "long.txt")

    assert "offset 100000" in raised.value.message


def test_detect_truncated_utf8_at_end(tmp_path):
    source = write(tmp_path, b"ends in half a character \xc3")

    with pytest.raises(UnsupportedTypeError):
        detect_document_type(source, "cut.txt")


def test_detect_utf8_character_across_chunks(tmp_path):
    # The 64 KiB read chunks split the two bytes of "é".
    source = write(tmp_path, b"a" * (64 * 1024 - 1) + "é".encode())

    assert detect_document_type(source, "split.txt") is DocumentType.TEXT


def test_detect_utf16_text(tmp_path):
    source = write(tmp_path, "Hello".encode("utf-16"))

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, "wide.txt")

    assert "UTF-16" in raised.value.message


def test_detect_plain_text_named_docx(tmp_path):
    source = write(tmp_path, b"This is not a Word file at all.\n")

    with pytest.raises(UnreadableFileError) as raised:
        detect_document_type(source, "fake.docx")

    message = raised.value.message
    assert "not a valid .docx file" in message
    assert "plain text" in message


def test_detect_legacy_doc_named_docx(tmp_path):
    source = write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))

    with pytest.raises(UnreadableFileError) as raised:
        detect_document_type(source, "old.docx")

    assert "legacy Office document" in raised.value.message


def test_detect_zip_without_document_part(tmp_path):
    source = tmp_path / "other.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")

    with pytest.raises(UnreadableFileError) as raised:
        detect_document_type(source, "sheet.docx")

    assert "word/document.xml" in raised.value.message


def test_detect_truncated_zip(tmp_path):
    complete = write_docx(tmp_path / "doc.docx", [[("Hello world.", False)]])
    source = write(tmp_path, complete.read_bytes()[:200], "cut.docx")

    with pytest.raises(UnreadableFileError) as raised:
        detect_document_type(source, "cut.docx")

    assert "damaged" in raised.value.message


def test_detect_zip_bomb_over_default_limit(tmp_path):
    source = write_zip_bomb(tmp_path / "bomb.docx", MAX_DOCX_UNCOMPRESSED_BYTES + 1)
    assert source.stat().st_size < 1024 * 1024

    with pytest.raises(UnreadableFileError) as raised:
        detect_document_type(source, "bomb.docx")

    message = raised.value.message
    assert "unpacks too large: 104,857,620 bytes" in message
    assert "more than the 100 MB allowed" in message


def test_detect_zip_bomb_compression_ratio(tmp_path):
    source = write_zip_bomb(tmp_path / "bomb.docx", 20 * 1024 * 1024)

    with pytest.raises(UnreadableFileError) as raised:
        detect_document_type(source, "bomb.docx")

    message = raised.value.message
    assert "unpacks too large" in message
    assert "word/media/zeros.bin" in message


def test_check_docx_archive_size_limit(tmp_path):
    source = write_docx(tmp_path / "doc.docx", [[("Hello world.", False)]])

    check_docx_archive(source, "doc.docx")
    with pytest.raises(UnreadableFileError) as raised:
        check_docx_archive(source, "doc.docx", max_uncompressed_bytes=1000)

    assert "unpacks too large" in raised.value.message


def test_detect_too_many_entries(tmp_path):
    source = tmp_path / "many.docx"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
        for number in range(MAX_DOCX_ENTRIES):
            archive.writestr(f"word/e{number}.xml", "")

    with pytest.raises(UnreadableFileError) as raised:
        detect_document_type(source, "many.docx")

    assert f"at most {MAX_DOCX_ENTRIES}" in raised.value.message


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.exe",
        "<img src=x onerror=alert(1)>.exe",
        "bad\x00\x1b[31mname\n.exe",
        "x" * 5000 + ".exe",
    ],
)
def test_detect_message_shows_safe_name(tmp_path, name):
    source = write(tmp_path, b"text")

    with pytest.raises(UnsupportedTypeError) as raised:
        detect_document_type(source, name)

    message = raised.value.message
    assert "/" not in message.split("Supported")[0]
    assert "<" not in message
    assert "\x00" not in message
    assert "\x1b" not in message
    assert "\n" not in message
    assert len(message) < 400
