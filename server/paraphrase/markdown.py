"""Find the parts of a Markdown document that are syntax or code, not prose.

`protected_ranges` returns (start, end) character ranges that the paraphraser must
leave alone, following CommonMark where it matters for words:

- YAML front matter between "---" lines at the top of the document;
- fenced code blocks (``` or ~~~, closed by a fence of the same character and at
  least the same length, or by the end of the document);
- indented code blocks: lines indented by 4 or more columns after a blank line or
  after another code line;
- link reference definitions ("[label]: url"), and "[label]" references whose label
  is defined;
- inline code spans, autolinks, HTML tags and comments, and the contents of <pre>,
  <code>, <script> and <style> elements;
- link and image destinations "](url "title")", footnote markers "[^1]" and
  heading attributes "{#id}".

Heading markers, list markers, emphasis markers and table pipes are not words, so
the word engine never changes them and they need no range. Link text and image
alternative text are prose and may change.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_INDENTED = re.compile(r"(?: {4}| {0,3}\t)")
_DEFINITION = re.compile(r" {0,3}\[(?!\^)((?:[^\]\\\n]|\\.)+)\]:")
# Inline syntax. Each alternative stops at whitespace, an angle bracket, a bracket or
# a bounded length, so a scan of a long line stays linear.
_INLINE = re.compile(
    r"</?[A-Za-z][A-Za-z0-9\-]*(?:\s[^<>]*)?/?>"
    r"|<[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>"
    r"|<[^\s<>@]+@[^\s<>@]+>"
    r"|\]\(\s*(?:<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*)"
    r"(?:\s+(?:\"[^\"\n]{0,500}\"|'[^'\n]{0,500}'|\([^()\n]{0,500}\)))?\s*\)"
    r"|\[\^[^\]\s]{1,100}\]"
    r"|\{#[^}\n]{0,200}\}"
)
# HTML comments and elements whose whole content is code, not prose.
_RAW_OPENING = re.compile(r"<!--|<(pre|code|script|style)\b[^<>]*>", re.IGNORECASE)
_BRACKETED = re.compile(r"\[((?:[^\[\]\\\n]|\\.)+)\]")
_BACKTICKS = re.compile(r"`+")


def protected_ranges(text: str) -> list[tuple[int, int]]:
    """Return the sorted (start, end) ranges of `text` that are not prose."""
    block_ranges, labels = _scan_blocks(text)

    ranges = list(block_ranges)
    start = 0
    for block_start, block_end in block_ranges + [(len(text), len(text))]:
        if start < block_start:
            ranges.extend(_inline_ranges(text, start, block_start, labels))
        start = max(start, block_end)
    return sorted(ranges)


def _lines(text: str, start: int) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, line) for each line from `start`; end includes the
    newline, and line excludes it."""
    while start < len(text):
        newline = text.find("\n", start)
        end = len(text) if newline < 0 else newline + 1
        yield start, end, text[start:end].rstrip("\r\n")
        start = end


def _scan_blocks(text: str) -> tuple[list[tuple[int, int]], set[str]]:
    """Return the ranges of code blocks, front matter and reference definitions,
    and the normalized labels that the definitions define."""
    ranges: list[tuple[int, int]] = []
    labels: set[str] = set()
    fence: str | None = None
    fence_start = 0
    previous_blank = True
    previous_code = False

    front_matter_end = _front_matter_end(text)
    if front_matter_end:
        ranges.append((0, front_matter_end))

    for start, end, line in _lines(text, front_matter_end):
        if fence is not None:
            closing = _FENCE.match(line)
            if closing and _closes(fence, closing.group(1), line[closing.end() :]):
                ranges.append((fence_start, end))
                fence = None
                # A closed fence ends its block, like a blank line does.
                previous_blank, previous_code = True, False
            continue

        blank = not line.strip()
        opening = _FENCE.match(line)
        # A backtick fence's info string cannot contain a backtick.
        if opening and not ("`" in opening.group(1) and "`" in line[opening.end() :]):
            fence, fence_start = opening.group(1), start
            previous_code = False
        elif not blank and _INDENTED.match(line) and (previous_blank or previous_code):
            ranges.append((start, end))
            previous_code = True
        elif not blank:
            definition = _DEFINITION.match(line)
            if definition:
                labels.add(_normalize_label(definition.group(1)))
                ranges.append((start, end))
            previous_code = False
        previous_blank = blank

    if fence is not None:
        ranges.append((fence_start, len(text)))
    return ranges, labels


def _front_matter_end(text: str) -> int:
    """Return the end of YAML front matter: a "---" first line up to the next "---"
    or "..." line. Returns 0 when the document has none."""
    if not text.startswith(("---\n", "---\r\n")):
        return 0
    for start, end, line in _lines(text, 0):
        if start > 0 and line.rstrip() in ("---", "..."):
            return end
    return 0


def _closes(fence: str, candidate: str, rest: str) -> bool:
    return (
        candidate[0] == fence[0] and len(candidate) >= len(fence) and not rest.strip()
    )


def _inline_ranges(
    text: str, start: int, end: int, labels: set[str]
) -> list[tuple[int, int]]:
    """Return protected inline ranges of the prose region text[start:end]."""
    ranges = _code_spans(text, start, end)
    ranges.extend(_raw_html(text, start, end))
    ranges.extend(match.span() for match in _INLINE.finditer(text, start, end))
    for match in _BRACKETED.finditer(text, start, end):
        if _normalize_label(match.group(1)) in labels:
            ranges.append(match.span())
    return ranges


def _code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the ranges of inline code spans: a run of N backticks up to the next
    run of exactly N backticks. An unmatched run is protected on its own."""
    runs = [match.span() for match in _BACKTICKS.finditer(text, start, end)]
    starts_by_length: dict[int, list[int]] = {}
    for index, (run_start, run_end) in enumerate(runs):
        starts_by_length.setdefault(run_end - run_start, []).append(index)

    ranges = []
    index = 0
    while index < len(runs):
        run_start, run_end = runs[index]
        same_length = starts_by_length[run_end - run_start]
        position = bisect.bisect_right(same_length, index)
        if position < len(same_length):
            closing = same_length[position]
            ranges.append((run_start, runs[closing][1]))
            index = closing + 1
        else:
            ranges.append((run_start, run_end))
            index += 1
    return ranges


def _raw_html(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the ranges of HTML comments and of <pre>, <code>, <script> and <style>
    elements in text[start:end]. Without a closing tag only the opening is kept."""
    ranges = []
    # Closing tag -> the first position after which it does not occur, so each kind
    # of unclosed opening costs one failed search, not one per occurrence.
    missing_after: dict[str, int] = {}
    position = start
    while opening := _RAW_OPENING.search(text, position, end):
        name = opening.group(1)
        closing = "-->" if name is None else f"</{name.lower()}"

        found = -1
        if opening.end() < missing_after.get(closing, end + 1):
            found = _find_closing(text, closing, opening.end(), end)
        if found < 0:
            missing_after[closing] = min(missing_after.get(closing, end), opening.end())
            ranges.append(opening.span())
            position = opening.end()
        else:
            ranges.append((opening.start(), found))
            position = found
    return ranges


def _find_closing(text: str, closing: str, start: int, end: int) -> int:
    """Return the end of `closing` ("-->" or "</name" plus ">") in text[start:end],
    or -1."""
    if closing == "-->":
        index = text.find(closing, start, end)
        return -1 if index < 0 else index + len(closing)

    lower = re.compile(re.escape(closing) + r"\s*>", re.IGNORECASE)
    match = lower.search(text, start, end)
    return -1 if match is None else match.end()


def _normalize_label(label: str) -> str:
    return " ".join(label.split()).casefold()
