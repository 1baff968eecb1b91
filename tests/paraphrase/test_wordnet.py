from __future__ import annotations

import pytest

from server.paraphrase import WordNetUnavailableError
from server.paraphrase.service import default_thesaurus
from server.paraphrase.wordnet import (
    DEFAULT_WORDNET_DIR,
    LEXNAMES,
    REQUIRED_FILES,
    WordNetLoader,
    build_corpus,
    lexnames_text,
)


def test_lexnames_has_45_numbered_files():
    lines = lexnames_text().splitlines()

    assert len(LEXNAMES) == 45
    assert lines[0] == "00\tadj.all\t3"
    assert lines[3] == "03\tnoun.Tops\t1"
    assert lines[29] == "29\tverb.body\t2"
    assert lines[2] == "02\tadv.all\t4"
    assert lines[44] == "44\tadj.ppl\t3"


def test_missing_wordnet_dir_names_make_setup(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("WORDNET_DIR", str(empty))
    monkeypatch.setenv("PARAPHRASE_WORDNET_CACHE", str(tmp_path / "cache"))
    loader = WordNetLoader()

    with pytest.raises(WordNetUnavailableError) as raised:
        loader.reader()

    message = str(raised.value)
    assert "make setup" in message
    assert "wordnet-base" in message
    assert str(empty) in message
    assert "data.noun" in message
    assert not (tmp_path / "cache").exists()


def test_missing_wordnet_file_is_named(tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in REQUIRED_FILES:
        if name != "cntlist.rev":
            (partial / name).write_text("")

    with pytest.raises(WordNetUnavailableError) as raised:
        WordNetLoader(source_dir=partial, cache_dir=tmp_path / "cache").reader()

    assert "not found: cntlist.rev" in str(raised.value)


def test_build_corpus_copies_files_and_writes_lexnames(tmp_path):
    if not (DEFAULT_WORDNET_DIR / "data.noun").is_file():
        pytest.skip("wordnet-base is not installed")

    corpus = build_corpus(DEFAULT_WORDNET_DIR, tmp_path / "cache")

    assert corpus == tmp_path / "cache" / "corpora" / "wordnet"
    assert (corpus / "lexnames").read_text() == lexnames_text()
    assert (corpus / "index.sense").is_file()
    for name in REQUIRED_FILES:
        copied = corpus / name
        assert not copied.is_symlink()
        assert copied.stat().st_size == (DEFAULT_WORDNET_DIR / name).stat().st_size


def test_build_corpus_refreshes_changed_file(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in REQUIRED_FILES:
        (source / name).write_text(f"{name} v1\n")

    corpus = build_corpus(source, tmp_path / "cache")
    (source / "data.noun").write_text("data.noun version 2\n")
    build_corpus(source, tmp_path / "cache")

    assert (corpus / "data.noun").read_text() == "data.noun version 2\n"
    assert (corpus / "index.sense").read_text() == ""


def test_default_thesaurus_is_shared(thesaurus):
    assert default_thesaurus() is thesaurus
    assert thesaurus.synonym("car", "standard") == "automobile"
