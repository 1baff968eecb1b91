"""The benchmark's input files: sizes, and how the server's paraphraser
treats them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.files import KIB, MIB, write_large_file, write_small_files
from server.paraphrase import ParaphraseOptions, paraphrase_file
from server.paraphrase.detect import DocumentType, detect_document_type
from server.paraphrase.errors import UnreadableFileError


def test_small_files_have_drawn_sizes(tmp_path: Path):
    rng = random.Random(7)
    expected = [rng.randint(2 * KIB, 200 * KIB) for _ in range(20)]

    paths = write_small_files(tmp_path, 20, 2 * KIB, 200 * KIB, seed=7)

    assert [path.stat().st_size for path in paths] == expected


def test_small_files_repeat_with_seed(tmp_path: Path):
    first = write_small_files(tmp_path / "a", 5, 2 * KIB, 200 * KIB)
    second = write_small_files(tmp_path / "b", 5, 2 * KIB, 200 * KIB)

    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_small_file_paraphrases_as_docx(tmp_path: Path):
    (path,) = write_small_files(tmp_path / "in", 1, 2 * KIB, 2 * KIB)
    output = tmp_path / "out"
    output.mkdir()

    detected = detect_document_type(path, path.name)
    processed = paraphrase_file(
        path, path.name, ParaphraseOptions.from_form({}), output
    )

    assert detected is DocumentType.DOCX
    assert processed.path.stat().st_size > 0


def test_large_file_is_sparse_and_rejected(tmp_path: Path):
    path = write_large_file(tmp_path, 8 * MIB)

    assert path.stat().st_size == 8 * MIB
    assert path.suffix == ".docx"
    with pytest.raises(UnreadableFileError):
        detect_document_type(path, path.name)
