"""Choose one synonym for an English word from WordNet 3.0.

Counts below are the SemCor sense counts of WordNet's `cntlist.rev`, as nltk
`Lemma.count()` returns them (`counts.SenseCounts`). For a lowercase word the
thesaurus:

1. Finds the parts of speech in which WordNet's `morphy` finds a base form, limited
   by the `Context` the caller saw (a word after "the" is a noun or adjective, a
   word after "will" or "they" is a verb). It takes the one whose base is counted
   most often; ties go to noun, verb, adjective, adverb.
2. Keeps the word only when it is its base form, or a regular inflection of it that
   `inflection.recognize` accepts: noun plural -s/-es, verb -s/-es, -ed, -ing.
3. Walks the base's senses, most frequent first, up to `SENSES_CONSIDERED`. A later
   sense is used only when the base is counted in it at least `MIN_SENSE_SHARE` of
   its count in the first sense, because a rare sense ("dog" as "frump") gives a
   wrong synonym.
4. A usable lemma is a single, lowercase ASCII word other than the word and its
   base, counted at least `MIN_WORD_COUNT` times in that sense, so obscure words
   such as "cognize" are never offered. It is not a stop word or a plural form,
   and WordNet's usage domains do not mark it slang, offensive, archaic, a trade
   name or the like. It must also take the word's inflection by the regular rules
   and not be listed as irregular in WordNet's exception files ("child" ->
   "children").
5. The first sense with a usable lemma decides, and the mode picks one lemma:

   - standard: the highest count, which is the most common synonym.
   - simple: the shortest, then the highest count, so plain short words win.
   - formal: the longest, then the highest count, and never a word from a synset
     marked colloquial or informal in WordNet.

A word that is itself never counted is rare or technical and stays unchanged.
Results are cached per word, context and mode. nltk's reader shares open files
between calls, so every WordNet query runs under one lock.
"""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from nltk.corpus.reader.wordnet import (
    ADJ,
    ADV,
    NOUN,
    VERB,
    Synset,
    WordNetCorpusReader,
    WordNetError,
)

from .counts import SenseCounts
from .inflection import Inflection, inflect, plural, recognize
from .vocabulary import STOP_WORDS

SENSES_CONSIDERED = 3
MIN_SENSE_SHARE = 0.2
MIN_WORD_COUNT = 1
CACHE_ENTRIES = 200_000

# Usage domains (synsets in WordNet 3.0 that label how a word is used) whose words
# are never offered as synonyms.
_EXCLUDED_USAGES = frozenset(
    {
        "abbreviation",
        "acronym",
        "archaism",
        "combining_form",
        "derogation",
        "disparagement",
        "ethnic_slur",
        "obscenity",
        "plural",
        "slang",
        "trade_name",
        "trademark",
        "vulgarism",
    }
)
# Usage domains that formal mode also excludes.
_INFORMAL_USAGES = frozenset(
    {
        "african_american_vernacular_english",
        "colloquialism",
        "dialect",
        "euphemism",
        "idiom",
        "intensifier",
        "irony",
        "regionalism",
        "street_name",
        "trope",
        "wit",
    }
)


class Context(enum.Enum):
    """Parts of speech that the word before a word allows."""

    ANY = (NOUN, VERB, ADJ, ADV)
    NOMINAL = (NOUN, ADJ)  # after a determiner such as "the" or a preposition
    NOMINAL_TAIL = (NOUN, ADJ, ADV)  # the second word after one, as in "the big dog"
    VERBAL = (VERB,)  # after a modal verb or a subject pronoun


@dataclass(frozen=True)
class _Analysis:
    base: str
    pos: str
    inflection: Inflection


@dataclass(frozen=True)
class _Candidate:
    name: str
    form: str  # the name with the word's inflection applied
    count: int
    order: int  # position among the sense's lemmas


class Thesaurus:
    """Synonym lookup over a WordNet reader, cached and safe to share between
    threads.

    The lock that serializes access to the reader belongs to the thesaurus, so a
    reader must have only one Thesaurus.
    """

    def __init__(self, reader: WordNetCorpusReader) -> None:
        self._reader = reader
        self._counts = SenseCounts.from_reader(reader)
        self._lock = threading.Lock()
        self._readings_cache: dict[str, list[tuple[str, str, int]]] = {}
        self._irregular = {pos: self._irregular_bases(pos) for pos in (NOUN, VERB)}
        self._cached_synonym = functools.lru_cache(maxsize=CACHE_ENTRIES)(
            self._synonym_locked
        )

    def synonym(
        self, word: str, mode: str, context: Context = Context.ANY
    ) -> str | None:
        """Return a synonym of the lowercase `word` in the same inflection, or None.

        `mode` is "standard", "simple" or "formal", as the module docstring describes.
        """
        return self._cached_synonym(word, mode, context)

    def can_be_adjective(self, word: str) -> bool:
        """Return whether WordNet has the lowercase `word` as an adjective."""
        with self._lock:
            return any(pos == ADJ for pos, _, _ in self._readings(word))

    def _synonym_locked(self, word: str, mode: str, context: Context) -> str | None:
        with self._lock:
            analysis = self._analyze(word, context)
            if analysis is None:
                return None

            excluded = _EXCLUDED_USAGES
            if mode == "formal":
                excluded = excluded | _INFORMAL_USAGES
            for candidates in self._senses(word, analysis, excluded):
                if candidates:
                    return _pick(candidates, mode).form
            return None

    def _analyze(self, word: str, context: Context) -> _Analysis | None:
        best: tuple[int, str, str] | None = None
        for pos, base, count in self._readings(word):
            if pos in context.value and (best is None or count > best[0]):
                best = (count, pos, base)

        # A word never counted is rare or technical, and so are its synonyms.
        if best is None or best[0] < MIN_WORD_COUNT:
            return None

        _, pos, base = best
        inflection = recognize(word, base, noun=pos == NOUN)
        if inflection is None:
            return None
        if inflection is not Inflection.BASE and pos not in (NOUN, VERB):
            return None
        return _Analysis(base, pos, inflection)

    def _readings(self, word: str) -> list[tuple[str, str, int]]:
        """Return (part of speech, base form, count) for each part of speech in
        which `morphy` finds a base form of `word`."""
        readings = self._readings_cache.get(word)
        if readings is None:
            readings = []
            for pos in Context.ANY.value:
                base = self._reader.morphy(word, pos)
                if base is not None:
                    readings.append((pos, base, self._counts.total(base, pos)))
            if len(self._readings_cache) >= CACHE_ENTRIES:
                self._readings_cache.clear()
            self._readings_cache[word] = readings
        return readings

    def _senses(
        self, word: str, analysis: _Analysis, excluded: frozenset[str]
    ) -> Iterator[list[_Candidate]]:
        """Yield the usable candidates of each sense that may be used, in order.

        Senses load lazily by name, so the caller that stops at the first sense
        with candidates loads one synset, not all of a common word's senses.
        """
        base, pos = analysis.base, analysis.pos
        first_count = 0
        for number in range(1, SENSES_CONSIDERED + 1):
            try:
                synset = self._reader.synset(f"{base}.{pos}.{number:02d}")
            except WordNetError:
                return

            count = sum(
                self._counts.count(lemma)
                for lemma in synset.lemmas()
                if lemma.name().lower() == base
            )
            if number == 1:
                first_count = count
            elif count == 0 or count < MIN_SENSE_SHARE * first_count:
                continue
            if _usage_names(synset.usage_domains()) & excluded:
                continue

            yield self._candidates(word, analysis, synset, excluded)

    def _candidates(
        self,
        word: str,
        analysis: _Analysis,
        synset: Synset,
        excluded: frozenset[str],
    ) -> list[_Candidate]:
        candidates = []
        for order, lemma in enumerate(synset.lemmas()):
            name = lemma.name()
            if not _is_usable(name, word, analysis.base):
                continue
            if _usage_names(lemma.usage_domains()) & excluded:
                continue
            if analysis.pos == NOUN and self._is_plural_noun(name):
                continue

            form = self._inflect(name, analysis)
            count = self._counts.count(lemma)
            if form is not None and form != word and count >= MIN_WORD_COUNT:
                candidates.append(_Candidate(name, form, count, order))
        return candidates

    def _inflect(self, name: str, analysis: _Analysis) -> str | None:
        if analysis.inflection is Inflection.BASE:
            return name
        if name in self._irregular[analysis.pos]:
            return None

        return inflect(name, analysis.inflection)

    def _is_plural_noun(self, name: str) -> bool:
        """Return whether `name` is the regular plural of another WordNet noun, as
        "papers" is a lemma of the synset of "document"."""
        for singular in (name[:-1], name[:-2], name[:-3] + "y"):
            if (
                plural(singular) == name
                and self._reader.morphy(singular, NOUN) == singular
            ):
                return True
        return False

    def _irregular_bases(self, pos: str) -> frozenset[str]:
        """Read the base forms listed in WordNet's exception file for `pos`."""
        file_name = {NOUN: "noun.exc", VERB: "verb.exc"}[pos]
        bases: set[str] = set()
        with self._reader.open(file_name) as stream:
            for line in stream:
                bases.update(line.split()[1:])
        return frozenset(bases)


def _pick(candidates: list[_Candidate], mode: str) -> _Candidate:
    pool = candidates
    if mode == "simple":
        return min(pool, key=lambda c: (len(c.name), -c.count, c.order))
    if mode == "formal":
        return min(pool, key=lambda c: (-len(c.name), -c.count, c.order))
    return min(pool, key=lambda c: (-c.count, c.order))


def _is_usable(name: str, word: str, base: str) -> bool:
    return (
        name.isascii()
        and name.isalpha()
        and name.islower()
        and name != word
        and name != base
        and name not in STOP_WORDS
    )


def _usage_names(domains: list) -> set[str]:
    # Synset.usage_domains() returns synsets ("slang.n.02"); Lemma.usage_domains()
    # returns lemmas ("slang").
    return {domain.name().split(".", 1)[0].lower() for domain in domains}
