from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from server.paraphrase import (
    ParaphraseOptions,
    UnreadableFileError,
    paraphrase_file,
)
from tests.paraphrase.documents import tiny_png, write_docx

PROSE = "Results help customers answer each question."
CHANGED = "Effects aid clients reply each inquiry."
OPTIONS = ParaphraseOptions(synonym=100)


def run_texts(paragraph) -> list[str]:
    return [run.text for run in paragraph.runs]


def paraphrase_docx(source: Path, tmp_path: Path, options=OPTIONS) -> docx.Document:
    output_dir = tmp_path / "out"
    output_dir.mkdir(exist_ok=True)
    result = paraphrase_file(source, "input.docx", options, output_dir)
    return docx.Document(str(result.path))


def test_docx_keeps_paragraphs_runs_and_bold(tmp_path, thesaurus):
    source = write_docx(
        tmp_path / "in.docx",
        [
            [("Results ", True), ("help customers ", False), ("answer.", True)],
            [(PROSE, False)],
            [("", False)],
            [("Each question ", False), ("matters", True), (".", False)],
        ],
    )
    original = docx.Document(str(source))

    result = paraphrase_docx(source, tmp_path)

    assert len(result.paragraphs) == len(original.paragraphs)
    for before, after in zip(original.paragraphs, result.paragraphs, strict=True):
        assert len(after.runs) == len(before.runs)
        assert [run.bold for run in after.runs] == [run.bold for run in before.runs]
        assert after.style.name == before.style.name
    assert run_texts(result.paragraphs[0]) == ["Effects ", "aid clients ", "reply."]
    assert result.paragraphs[1].text == CHANGED
    assert result.paragraphs[2].text == ""


def test_docx_paraphrases_tables_headers_and_footers(tmp_path, thesaurus):
    document = docx.Document()
    document.add_paragraph(PROSE)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = PROSE
    table.cell(1, 1).add_table(rows=1, cols=1).cell(0, 0).text = PROSE
    section = document.sections[0]
    section.header.paragraphs[0].text = PROSE
    section.footer.paragraphs[0].text = PROSE
    source = tmp_path / "table.docx"
    document.save(str(source))

    result = paraphrase_docx(source, tmp_path)

    table = result.tables[0]
    assert table.cell(0, 0).text == CHANGED
    assert table.cell(1, 1).tables[0].cell(0, 0).text == CHANGED
    assert result.sections[0].header.paragraphs[0].text == CHANGED
    assert result.sections[0].footer.paragraphs[0].text == CHANGED


def test_docx_merged_cell_paraphrased_once(tmp_path, thesaurus):
    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Results."
    source = tmp_path / "merged.docx"
    document.save(str(source))

    result = paraphrase_docx(source, tmp_path)

    assert result.tables[0].cell(0, 0).text == "Effects."


def test_docx_word_split_across_runs_left_alone(tmp_path, thesaurus):
    source = write_docx(
        tmp_path / "split.docx", [[("Res", False), ("ults", True), (" help.", False)]]
    )

    result = paraphrase_docx(source, tmp_path)

    assert run_texts(result.paragraphs[0]) == ["Res", "ults", " aid."]


def test_docx_freeze_phrase_across_runs(tmp_path, thesaurus):
    source = write_docx(
        tmp_path / "freeze.docx",
        [[("Large ", False), ("car", True), (" help.", False)]],
    )
    options = ParaphraseOptions(synonym=100, freeze=("large car",))

    result = paraphrase_docx(source, tmp_path, options)

    assert run_texts(result.paragraphs[0]) == ["Large ", "car", " aid."]


def test_docx_keeps_images_tabs_and_breaks(tmp_path, thesaurus):
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("Results\thelp").add_break()
    paragraph.add_run().add_picture(io.BytesIO(tiny_png()))
    paragraph.add_run(" customers.")
    source = tmp_path / "image.docx"
    document.save(str(source))

    result = paraphrase_docx(source, tmp_path)

    paragraph = result.paragraphs[0]
    assert paragraph.runs[0].text == "Effects\taid\n"
    assert paragraph.runs[2].text == " clients."
    drawings = paragraph._p.findall(".//" + qn("w:drawing"))
    assert len(drawings) == 1
    assert result.inline_shapes[0].width > 0


def test_docx_keeps_leading_and_trailing_spaces(tmp_path, thesaurus):
    source = write_docx(tmp_path / "spaces.docx", [[("  results  ", False)]])

    result = paraphrase_docx(source, tmp_path)

    assert result.paragraphs[0].text == "  effects  "


def test_docx_output_is_deterministic(tmp_path, thesaurus):
    source = write_docx(tmp_path / "in.docx", [[(PROSE, False)], [(PROSE, True)]])
    output_dir = tmp_path / "out"
    output_dir.mkdir()
    options = ParaphraseOptions(synonym=50)

    first = paraphrase_file(source, "in.docx", options, output_dir)
    second = paraphrase_file(source, "in.docx", options, output_dir)

    assert first.path != second.path
    assert first.path.read_bytes() == second.path.read_bytes()


def test_docx_synonym_zero_keeps_text(tmp_path, thesaurus):
    source = write_docx(tmp_path / "in.docx", [[(PROSE, False)]])

    result = paraphrase_docx(source, tmp_path, ParaphraseOptions(synonym=0))

    assert result.paragraphs[0].text == PROSE


def test_docx_python_docx_cannot_open(tmp_path, thesaurus):
    source = tmp_path / "broken.docx"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("word/document.xml", "<not-closed")
    output_dir = tmp_path / "out"
    output_dir.mkdir()

    with pytest.raises(UnreadableFileError) as raised:
        paraphrase_file(source, "broken.docx", OPTIONS, output_dir)

    assert "could not be opened" in raised.value.message
    assert list(output_dir.iterdir()) == []


def test_docx_paraphrases_hyperlink_text(tmp_path, thesaurus):
    document = docx.Document()
    paragraph = document.add_paragraph("See ")
    paragraph._p.append(
        parse_xml(
            f'<w:hyperlink {nsdecls("w", "r")} r:id="rId99">'
            "<w:r><w:t>the results</w:t></w:r></w:hyperlink>"
        )
    )
    source = tmp_path / "link.docx"
    document.save(str(source))

    result = paraphrase_docx(source, tmp_path)

    assert result.paragraphs[0].text == "See the effects"
    hyperlink = result.paragraphs[0]._p.find(qn("w:hyperlink"))
    assert hyperlink.get(qn("r:id")) == "rId99"


def test_docx_skips_compatibility_fallback_copy(tmp_path, thesaurus):
    document = docx.Document()
    document.add_paragraph(PROSE)
    document.element.body.insert(
        0,
        parse_xml(
            f"<w:p {nsdecls('w')} "
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
            "<w:r><mc:AlternateContent>"
            f"<mc:Choice Requires='wps'><w:p><w:r><w:t>{PROSE}</w:t></w:r></w:p>"
            "</mc:Choice>"
            f"<mc:Fallback><w:p><w:r><w:t>{PROSE}</w:t></w:r></w:p></mc:Fallback>"
            "</mc:AlternateContent></w:r></w:p>"
        ),
    )
    source = tmp_path / "fallback.docx"
    document.save(str(source))

    result = paraphrase_docx(source, tmp_path)

    texts = [element.text for element in result.element.body.iter(qn("w:t"))]
    assert texts == [CHANGED, PROSE, CHANGED]


def rewrite_part(source: Path, target: Path, part: str, content: bytes) -> Path:
    """Copy the .docx at `source` to `target` with `part` replaced by `content`."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for entry in original.infolist():
            data = content if entry.filename == part else original.read(entry)
            copy.writestr(entry.filename, data)
    return target


@pytest.mark.parametrize(
    ("part", "content", "expected"),
    [
        ("word/document.xml", b"<foo/>", "no document body"),
        (
            "word/document.xml",
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"/>',
            "no document body",
        ),
        ("[Content_Types].xml", b"<Types/>", "could not be opened"),
        ("word/styles.xml", b"<<<", "could not be opened"),
    ],
)
def test_docx_malformed_parts(tmp_path, thesaurus, part, content, expected):
    valid = write_docx(tmp_path / "valid.docx", [[(PROSE, False)]])
    source = rewrite_part(valid, tmp_path / "bad.docx", part, content)
    output_dir = tmp_path / "out"
    output_dir.mkdir()

    with pytest.raises(UnreadableFileError) as raised:
        paraphrase_file(source, "bad.docx", OPTIONS, output_dir)

    assert expected in raised.value.message
    assert list(output_dir.iterdir()) == []


def test_docx_with_dtd_rejected(tmp_path, thesaurus):
    valid = write_docx(tmp_path / "valid.docx", [[("Results help.", False)]])
    with zipfile.ZipFile(valid) as archive:
        body = archive.read("word/document.xml").split(b"?>", 1)[1]
    dtd = b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY big "results">]>'
    content = dtd + body.replace(b"Results", b"&big;")
    source = rewrite_part(valid, tmp_path / "dtd.docx", "word/document.xml", content)
    output_dir = tmp_path / "out"
    output_dir.mkdir()

    with pytest.raises(UnreadableFileError) as raised:
        paraphrase_file(source, "dtd.docx", OPTIONS, output_dir)

    assert "DTD" in raised.value.message
