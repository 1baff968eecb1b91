"""Word-level substitution engine shared by the plain text, Markdown and docx formats.

`TextParaphraser.plan` scans a text once and returns `Replacement`s: character
ranges and the text that replaces them. It only replaces words, so whitespace,
punctuation and line endings stay as they are. A word is eligible when it:

- is ASCII letters only, at least `MIN_WORD_LENGTH` long, and not a stop word;
- is lowercase, Title case or UPPER case (the synonym gets the same case), and is
  Title case only at the start of a sentence, because elsewhere it is likely a name;
- has no apostrophe or hyphen inside, so contractions and hyphenated words stay;
- is not part of a URL, an e-mail address, a dotted name ("example.com",
  "setup.py"), an identifier ("max_size", "@user", "#tag"), a protected range given
  by the caller, or a frozen word or phrase.

Of the eligible words that have a synonym, the ones whose hash of (word, position)
modulo 100 is below `options.synonym` change, where position counts every word seen
by this paraphraser. The selection is deterministic, and the same word changes in
some places and not others. Formal mode also expands contractions ("don't" ->
"do not") at every synonym level, 0 included. An "a" or "an" before a replaced word
is corrected to match the replacement's first sound.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .options import ParaphraseOptions
from .thesaurus import Context, Thesaurus
from .vocabulary import (
    CONSONANT_SOUND_PREFIXES,
    CONTRACTIONS,
    NOMINAL_CUES,
    STOP_WORDS,
    VERBAL_CUES,
    VOWEL_SOUND_PREFIXES,
)

MIN_WORD_LENGTH = 3

# A word: letters and digits, with inner apostrophes and hyphens kept in one token.
_WORD = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*")
# Scheme, local part and domain label lengths are bounded (RFC 3986 sets none, RFC
# 5321 allows 64 and 63), so scanning a long run without spaces stays linear.
_URL = re.compile(r"\b(?:[a-zA-Z][a-zA-Z0-9+.\-]{0,31}://|www\.|mailto:)[^\s<>\"']+")
_EMAIL = re.compile(r"[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63})+")
# A word next to one of these is part of an identifier, a path or markup.
_EMBEDDING_CHARACTERS = frozenset("_@#$%&/\\=+<>|~^`\u00ad\ufffc")
# Characters skipped when looking back for the end of the previous sentence.
_SENTENCE_OPENERS = frozenset(" \t\r\"'\u201c\u2018([{*_#>-")
_SENTENCE_ENDS = frozenset(".!?:;\n")


@dataclass(frozen=True)
class Replacement:
    """Text that replaces the characters `start` to `end` (exclusive) of a string."""

    start: int
    end: int
    text: str


class TextParaphraser:
    """Paraphrases the texts of one document in order with one set of options.

    The position used for word selection continues across calls, so the parts of a
    document (lines, docx paragraphs) must be passed in document order.
    """

    def __init__(self, options: ParaphraseOptions, thesaurus: Thesaurus) -> None:
        self._options = options
        self._thesaurus = thesaurus
        self._freeze = compile_freeze(options.freeze)
        self._position = 0

    def paraphrase(self, text: str, protected: Sequence[tuple[int, int]] = ()) -> str:
        """Return `text` with the planned replacements applied."""
        return apply_replacements(text, self.plan(text, protected))

    def plan(
        self, text: str, protected: Sequence[tuple[int, int]] = ()
    ) -> list[Replacement]:
        """Plan the replacements for `text`, sorted and not overlapping.

        No replacement touches a word that overlaps a `protected` (start, end) range.
        """
        ranges = sorted(
            [
                *protected,
                *_spans(_URL, text),
                *_spans(_EMAIL, text),
                *_spans(self._freeze, text),
            ]
        )
        blocked = _RangeCursor(ranges)
        replacements: list[Replacement] = []
        previous: re.Match[str] | None = None
        context = Context.ANY

        for match in _WORD.finditer(text):
            self._position += 1
            context = self._next_context(text, previous, match, context)
            if blocked.overlaps(match.start(), match.end()):
                previous = None
                continue

            new_text = self._replace(text, match, context)
            if new_text is not None:
                article = _article_fix(text, previous, match.start(), new_text)
                if article is not None:
                    replacements.append(article)
                replacements.append(Replacement(match.start(), match.end(), new_text))
            previous = match
        return replacements

    def _next_context(
        self,
        text: str,
        previous: re.Match[str] | None,
        match: re.Match[str],
        previous_context: Context,
    ) -> Context:
        """Return the parts of speech allowed for `match`, judged by the words
        before it.

        A determiner or preposition makes the next word nominal, and the word after
        that too when the first can be an adjective ("the lazy dog", "a detailed
        report", but "the results help"). A modal verb or subject pronoun makes the
        next word a verb. Anything but spaces between the words resets the context.
        """
        if previous is None or text[previous.end() : match.start()].strip(" \t"):
            return Context.ANY

        word = previous.group().lower().replace("\u2019", "'")
        if word in NOMINAL_CUES:
            return Context.NOMINAL
        if word in VERBAL_CUES:
            return Context.VERBAL
        if (
            previous_context is Context.NOMINAL
            and word not in STOP_WORDS
            and self._thesaurus.can_be_adjective(word)
        ):
            return Context.NOMINAL_TAIL
        return Context.ANY

    def _replace(self, text: str, match: re.Match[str], context: Context) -> str | None:
        word = match.group()
        if "'" in word or "\u2019" in word:
            return self._expand_contraction(word)
        if not _is_candidate(text, match):
            return None

        lower = word.lower()
        if not self._selected(lower):
            return None
        synonym = self._thesaurus.synonym(lower, self._options.mode, context)
        if synonym is None:
            return None
        return match_case(synonym, word)

    def _expand_contraction(self, word: str) -> str | None:
        if self._options.mode != "formal":
            return None
        expansion = CONTRACTIONS.get(word.lower().replace("\u2019", "'"))
        if expansion is None:
            return None
        if word.isupper():
            return expansion.upper()
        if word[0].isupper():
            return expansion[0].upper() + expansion[1:]
        return expansion

    def _selected(self, lower: str) -> bool:
        key = f"{lower}\x00{self._position}".encode()
        return zlib.crc32(key) % 100 < self._options.synonym


def compile_freeze(terms: Iterable[str]) -> re.Pattern[str]:
    """Compile frozen words and phrases into one case-insensitive pattern.

    A phrase matches across any whitespace between its words, and every term
    matches only on word boundaries. Longer terms come first, so a phrase wins
    over a frozen word it starts with.
    """
    alternatives = []
    for term in sorted(set(terms), key=lambda term: (-len(term), term)):
        words = term.split()
        if words:
            alternatives.append(r"\s+".join(re.escape(word) for word in words))
    if not alternatives:
        return re.compile(r"(?!)")
    pattern = r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])"
    return re.compile(pattern, re.IGNORECASE)


def apply_replacements(text: str, replacements: Iterable[Replacement]) -> str:
    """Apply sorted, non-overlapping replacements to `text` in one pass."""
    pieces = []
    end = 0
    for replacement in replacements:
        pieces.append(text[end : replacement.start])
        pieces.append(replacement.text)
        end = replacement.end
    pieces.append(text[end:])
    return "".join(pieces)


def match_case(replacement: str, original: str) -> str:
    """Give the lowercase `replacement` the case pattern of `original`."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[0].isupper():
        return replacement[0].upper() + replacement[1:]
    return replacement


def _is_candidate(text: str, match: re.Match[str]) -> bool:
    word = match.group()
    if len(word) < MIN_WORD_LENGTH or not (word.isascii() and word.isalpha()):
        return False
    if word.lower() in STOP_WORDS or _is_embedded(text, match.start(), match.end()):
        return False

    if word.islower() or word.isupper():
        return True
    if word[0].isupper() and word[1:].islower():
        return _starts_sentence(text, match.start())
    return False


def _is_embedded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if before in _EMBEDDING_CHARACTERS or after in _EMBEDDING_CHARACTERS:
        return True

    # A dot joined to letters on both sides: "example.com", "setup.py", "e.g".
    if before == "." and start > 1 and text[start - 2].isalnum():
        return True
    return after == "." and end + 1 < len(text) and text[end + 1].isalnum()


def _starts_sentence(text: str, start: int) -> bool:
    index = start - 1
    while index >= 0 and text[index] in _SENTENCE_OPENERS:
        index -= 1
    return index < 0 or text[index] in _SENTENCE_ENDS


def _article_fix(
    text: str, previous: re.Match[str] | None, start: int, new_word: str
) -> Replacement | None:
    """Return a replacement for an "a" or "an" that precedes `new_word` (which starts
    at `start`) on the same line but no longer matches its first sound."""
    if previous is None or previous.group().lower() not in ("a", "an"):
        return None
    gap = text[previous.end() : start]
    if not gap or gap.strip(" \t"):
        return None

    article = "an" if _starts_with_vowel_sound(new_word) else "a"
    if previous.group().lower() == article:
        return None
    new_article = match_case(article, previous.group())
    return Replacement(previous.start(), previous.end(), new_article)


def _starts_with_vowel_sound(word: str) -> bool:
    lower = word.lower()
    if lower.startswith(VOWEL_SOUND_PREFIXES):
        return True
    if lower.startswith(CONSONANT_SOUND_PREFIXES):
        return False
    return lower[:1] in "aeiou"


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


class _RangeCursor:
    """Ranges sorted by start, tested for overlap with words given in text order."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self._ranges = ranges
        self._index = 0
        self._max_end = -1  # furthest end among ranges already passed

    def overlaps(self, start: int, end: int) -> bool:
        while self._index < len(self._ranges) and self._ranges[self._index][0] < end:
            self._max_end = max(self._max_end, self._ranges[self._index][1])
            self._index += 1
        return self._max_end > start
