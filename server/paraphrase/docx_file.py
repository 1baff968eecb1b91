"""Paraphrase a Word (.docx) document in place with python-docx.

Every paragraph of the body (including table cells, nested tables and text boxes),
of the headers and footers and of the comments part is paraphrased. Only the text of
existing `w:t` elements changes, so paragraphs, runs, their formatting, images,
fields and bookmarks stay as they are.

A paragraph's runs are joined into one string so that frozen phrases and sentence
starts are seen across run boundaries. Tabs and breaks become "\\t" and "\\n", and
other run content (images, field characters) becomes U+FFFC. A replacement is
applied only when its whole range lies inside one `w:t`, so a word split across
two runs is left alone.

NOTE: footnotes and endnotes are not paraphrased, because python-docx 1.2 loads
their parts as opaque binary parts.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.constants import CONTENT_TYPE
from docx.opc.part import XmlPart
from docx.oxml.ns import qn
from lxml import etree

from .errors import UnreadableFileError
from .text import Replacement, TextParaphraser, apply_replacements

_PARAGRAPH = qn("w:p")
_RUN = qn("w:r")
_TEXT = qn("w:t")
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# Elements inside a paragraph that contain runs of the paragraph's own text.
_RUN_CONTAINERS = frozenset(
    qn(tag)
    for tag in (
        "w:hyperlink",
        "w:ins",
        "w:moveTo",
        "w:smartTag",
        "w:fldSimple",
        "w:customXml",
        "w:sdt",
        "w:sdtContent",
    )
)
# Run children that stand for a character of the paragraph's text.
_RUN_CHARACTERS = {
    qn("w:tab"): "\t",
    qn("w:ptab"): "\t",
    qn("w:br"): "\n",
    qn("w:cr"): "\n",
    qn("w:noBreakHyphen"): "-",
    qn("w:softHyphen"): "\u00ad",
}
# Run children that carry no text and may be skipped.
_RUN_PROPERTIES = frozenset({qn("w:rPr"), qn("w:lastRenderedPageBreak")})
_OBJECT = "\ufffc"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can record

_EXTRA_PARTS = frozenset(
    {CONTENT_TYPE.WML_HEADER, CONTENT_TYPE.WML_FOOTER, CONTENT_TYPE.WML_COMMENTS}
)


@dataclass(frozen=True)
class _Segment:
    start: int
    end: int
    element: etree._Element | None  # the w:t element, or None for other content


def paraphrase_docx(
    source: Path, destination: Path, display_name: str, paraphraser: TextParaphraser
) -> None:
    """Paraphrase the document at `source` and save it to `destination`.

    Raises UnreadableFileError when python-docx cannot open the document.
    """
    try:
        document = docx.Document(str(source))
    # python-docx reports a malformed package with many exception types (KeyError,
    # ValueError, AttributeError, lxml errors), and any of them means the same here.
    except Exception as error:
        raise UnreadableFileError(
            f"The file '{display_name}' is a damaged .docx file and could not be "
            f"opened ({type(error).__name__}). Open it in Word or LibreOffice and "
            f"save it again."
        ) from error

    problem = _structure_problem(document)
    if problem is not None:
        raise UnreadableFileError(
            f"The file '{display_name}' is not a valid Word document: {problem}. "
            f"Open it in Word or LibreOffice and save it again."
        )

    for root in _text_roots(document):
        for paragraph in root.iter(_PARAGRAPH):
            if not _in_fallback(paragraph):
                _paraphrase_paragraph(paragraph, paraphraser)

    _save_reproducibly(document, destination)


def _structure_problem(document: Document) -> str | None:
    """Describe why the opened package is not a Word document we can rewrite, or
    return None."""
    if document.element.tag != qn("w:document") or document.element.body is None:
        return "its main part has no document body"
    # The OOXML standard forbids DTDs, and python-docx drops the internal subset on
    # save, so entity references declared there would break the output.
    for root in _text_roots(document):
        if root.getroottree().docinfo.internalDTD is not None:
            return "it declares a DTD, which Word documents never contain"
    return None


def _save_reproducibly(document: Document, destination: Path) -> None:
    """Save the document with a fixed timestamp on every ZIP entry.

    python-docx stamps each entry with the current time, so the same input would
    give different output bytes from one second to the next.
    """
    buffer = io.BytesIO()
    document.save(buffer)

    buffer.seek(0)
    with (
        zipfile.ZipFile(buffer) as saved,
        zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as output,
    ):
        for entry in saved.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            output.writestr(fixed, saved.read(entry))


def _text_roots(document: Document) -> Iterator[etree._Element]:
    """Yield the body element, then the root element of each header, footer and
    comments part in package order."""
    yield document.element.body
    for part in document.part.package.iter_parts():
        if part.content_type in _EXTRA_PARTS and isinstance(part, XmlPart):
            yield part.element


def _in_fallback(paragraph: etree._Element) -> bool:
    """Return whether the paragraph is inside an mc:Fallback, the copy of a text box
    kept for older readers next to the mc:Choice copy that is paraphrased."""
    return any(ancestor.tag == _FALLBACK for ancestor in paragraph.iterancestors())


def _paraphrase_paragraph(
    paragraph: etree._Element, paraphraser: TextParaphraser
) -> None:
    pieces: list[str] = []
    segments: list[_Segment] = []
    position = 0
    for run in _runs(paragraph):
        for child in run:
            if child.tag == _TEXT:
                piece, element = child.text or "", child
            elif child.tag in _RUN_PROPERTIES:
                continue
            else:
                piece, element = _RUN_CHARACTERS.get(child.tag, _OBJECT), None
            pieces.append(piece)
            segments.append(_Segment(position, position + len(piece), element))
            position += len(piece)

    text = "".join(pieces)
    if not text.strip():
        return

    edits: dict[int, list[Replacement]] = {}
    index = 0
    for replacement in paraphraser.plan(text):
        while segments[index].end <= replacement.start:
            index += 1
        segment = segments[index]
        if segment.element is not None and replacement.end <= segment.end:
            edits.setdefault(index, []).append(replacement)

    for index, replacements in edits.items():
        _apply(segments[index], replacements)


def _runs(element: etree._Element) -> Iterator[etree._Element]:
    for child in element:
        if child.tag == _RUN:
            yield child
        elif child.tag in _RUN_CONTAINERS:
            yield from _runs(child)


def _apply(segment: _Segment, replacements: list[Replacement]) -> None:
    """Apply replacements, given in paragraph offsets, to the segment's w:t."""
    shifted = [
        Replacement(item.start - segment.start, item.end - segment.start, item.text)
        for item in replacements
    ]
    new_text = apply_replacements(segment.element.text or "", shifted)

    segment.element.text = new_text
    if new_text != new_text.strip():
        segment.element.set(_XML_SPACE, "preserve")
