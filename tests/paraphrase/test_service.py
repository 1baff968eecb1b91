from __future__ import annotations

from pathlib import Path

import pytest

import server.paraphrase as paraphrase_package
from server.paraphrase import (
    DocumentError,
    OptionsError,
    ParaphraseOptions,
    ProcessedFile,
    UnreadableFileError,
    UnsupportedTypeError,
    paraphrase_file,
)
from server.paraphrase.names import output_name, safe_file_name
from tests.paraphrase.documents import write_docx

PROSE = "Results help customers answer each question.\n"
CHANGED = "Effects aid clients reply each inquiry.\n"
OPTIONS = ParaphraseOptions(synonym=100)


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def upload(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "upload.tmp"
    path.write_bytes(content)
    return path


def test_package_exports():
    assert set(paraphrase_package.__all__) == {
        "MODES",
        "SUPPORTED_LANGUAGES",
        "DocumentError",
        "DocumentType",
        "OptionsError",
        "ParaphraseOptions",
        "ProcessedFile",
        "UnreadableFileError",
        "UnsupportedTypeError",
        "WordNetUnavailableError",
        "detect_document_type",
        "paraphrase_file",
    }
    for error in (OptionsError, UnsupportedTypeError, UnreadableFileError):
        assert issubclass(error, DocumentError)
        assert error("Sentence.").message == "Sentence."


def test_paraphrase_file_text(tmp_path, output_dir, thesaurus):
    source = upload(tmp_path, PROSE.encode())

    result = paraphrase_file(source, "report.txt", OPTIONS, output_dir)

    assert isinstance(result, ProcessedFile)
    assert result.path.parent == output_dir
    assert result.path.suffix == ".txt"
    assert result.file_name == "report.paraphrased.txt"
    assert result.content_type == "text/plain; charset=utf-8"
    assert result.path.read_text(encoding="utf-8") == CHANGED
    assert source.read_bytes() == PROSE.encode()


def test_paraphrase_file_markdown(tmp_path, output_dir, thesaurus):
    source = upload(tmp_path, f"# {PROSE}\n`results help`\n".encode())

    result = paraphrase_file(source, "Notes.MD", OPTIONS, output_dir)

    assert result.file_name == "Notes.paraphrased.md"
    assert result.content_type == "text/markdown; charset=utf-8"
    assert result.path.read_text(encoding="utf-8") == f"# {CHANGED}\n`results help`\n"


def test_paraphrase_file_docx(tmp_path, output_dir, thesaurus):
    source = write_docx(tmp_path / "upload.tmp", [[(PROSE.strip(), False)]])

    result = paraphrase_file(source, "Quarterly Report.docx", OPTIONS, output_dir)

    assert result.file_name == "Quarterly Report.paraphrased.docx"
    assert result.content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert result.path.suffix == ".docx"


def test_paraphrase_file_is_deterministic(tmp_path, output_dir, thesaurus):
    source = upload(tmp_path, (PROSE * 50).encode())
    options = ParaphraseOptions(synonym=50, mode="simple")

    first = paraphrase_file(source, "a.txt", options, output_dir)
    second = paraphrase_file(source, "a.txt", options, output_dir)

    assert first.path != second.path
    assert first.path.read_bytes() == second.path.read_bytes()


def test_paraphrase_file_keeps_bom_and_crlf(tmp_path, output_dir, thesaurus):
    source = upload(tmp_path, b"\xef\xbb\xbf" + PROSE.replace("\n", "\r\n").encode())

    result = paraphrase_file(source, "bom.txt", OPTIONS, output_dir)

    expected = b"\xef\xbb\xbf" + CHANGED.replace("\n", "\r\n").encode()
    assert result.path.read_bytes() == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.paraphrased.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.paraphrased.txt"),
        (
            "<img src=x onerror=alert(1)>.txt",
            "img src_x onerror_alert(1).paraphrased.txt",
        ),
        ("bad\x00na\x1bme\r\n.txt", "badname.paraphrased.txt"),
        ("\u202egnp.txt", "gnp.paraphrased.txt"),
        ("...txt", "txt.paraphrased.txt"),
        ("..", "document.paraphrased.txt"),
        (".hidden.txt", "hidden.paraphrased.txt"),
        ("r\u00e9sum\u00e9 final.txt", "r\u00e9sum\u00e9 final.paraphrased.txt"),
        ("a" * 5000 + ".txt", "a" * 100 + ".paraphrased.txt"),
    ],
)
def test_output_name_is_safe(name, expected):
    assert output_name(name, ".txt") == expected


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.txt",
        "<img src=x onerror=alert(1)>.txt",
        "con\x00trol\x07\x1b[2J.txt",
        "/absolute/path/notes.txt",
        "x" * 10_000 + ".txt",
    ],
)
def test_paraphrase_file_hostile_names(tmp_path, output_dir, thesaurus, name):
    source = upload(tmp_path, PROSE.encode())

    result = paraphrase_file(source, name, OPTIONS, output_dir)

    assert result.path.parent == output_dir
    assert list(output_dir.iterdir()) == [result.path]
    assert result.file_name.endswith(".paraphrased.txt")
    assert len(result.file_name) <= 120
    for character in "/\\<>\x00\x07\x1b\"'=":
        assert character not in result.file_name
    assert not result.file_name.startswith(".")


def test_safe_file_name_keeps_extension():
    assert safe_file_name("../x/<b>.exe") == "b.exe"
    assert safe_file_name("notes") == "notes"


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "photo.txt", UnsupportedTypeError),
        (b"%PDF-1.4\n", "paper.txt", UnsupportedTypeError),
        (b"caf\xe9", "latin1.md", UnsupportedTypeError),
        (b"text", "tool.exe", UnsupportedTypeError),
        (b"text", "paper.pdf", UnsupportedTypeError),
        (b"plain text, not Word", "fake.docx", UnreadableFileError),
    ],
)
def test_paraphrase_file_errors_leave_no_output(
    tmp_path, output_dir, thesaurus, content, name, error
):
    source = upload(tmp_path, content)

    with pytest.raises(error) as raised:
        paraphrase_file(source, name, OPTIONS, output_dir)

    assert raised.value.message.endswith(".")
    assert list(output_dir.iterdir()) == []
