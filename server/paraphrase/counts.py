"""WordNet sense counts from `cntlist.rev`, held in memory.

nltk's `Lemma.count()` (nltk 3.10.4) binary-searches `cntlist.rev` on disk at every
call, and the paraphraser needs the count of every lemma it considers, so those
file reads dominated the run time. This module reads the same file (about 37,000
lines) once into dictionaries, so `count(lemma)` returns what `lemma.count()`
returns, and `total(word, pos)` sums a word's counts over all its senses in one part
of speech without loading any synset.

Each line of `cntlist.rev` is "sense_key sense_number tag_count", and a sense key is
"lemma%ss_type:lex_filenum:lex_id:head_word:head_id", where ss_type is 1 noun,
2 verb, 3 adjective, 4 adverb or 5 adjective satellite (cntlist(5WN)).

NOTE: the sense numbers in `cntlist.rev` do not always match nltk's synset
numbering (about 1 sense in 100 differs, mostly adjective satellites, whose sense
keys nltk builds differently), so they are not used.
"""

from __future__ import annotations

from collections.abc import Iterable

from nltk.corpus.reader.wordnet import ADJ, ADV, NOUN, VERB, Lemma, WordNetCorpusReader

_POS_BY_SYNSET_TYPE = {"1": NOUN, "2": VERB, "3": ADJ, "4": ADV, "5": ADJ}


class SenseCounts:
    """Tag counts per sense key and per (word, part of speech)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._by_key: dict[str, int] = {}
        self._by_word: dict[tuple[str, str], int] = {}

        for line in lines:
            fields = line.split()
            if len(fields) != 3 or not fields[2].isdigit():
                continue
            key, count = fields[0], int(fields[2])
            word, _, sense = key.partition("%")
            pos = _POS_BY_SYNSET_TYPE.get(sense[:1])
            if pos is None:
                continue

            self._by_key[key] = count
            self._by_word[word, pos] = self._by_word.get((word, pos), 0) + count

    @classmethod
    def from_reader(cls, reader: WordNetCorpusReader) -> SenseCounts:
        """Read `cntlist.rev` through the reader's corpus."""
        with reader.open("cntlist.rev") as stream:
            return cls(stream)

    def count(self, lemma: Lemma) -> int:
        """Return the tag count of `lemma`'s sense, as `lemma.count()` does."""
        return self._by_key.get(lemma.key(), 0)

    def total(self, word: str, pos: str) -> int:
        """Return the summed tag count of the lowercase `word` over its senses in
        part of speech `pos` (NOUN, VERB, ADJ or ADV)."""
        return self._by_word.get((word, pos), 0)
