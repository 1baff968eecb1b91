from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.paraphrase import ParaphraseOptions
from server.paraphrase.counts import SenseCounts
from server.paraphrase.text import TextParaphraser
from server.paraphrase.thesaurus import Context, Thesaurus
from server.paraphrase.wordnet import WordNetLoader
from tests.paraphrase.test_text import SAMPLE, changed_words


@pytest.mark.parametrize(
    ("word", "standard", "simple", "formal"),
    [
        ("car", "automobile", "auto", "automobile"),
        ("question", "inquiry", "query", "inquiry"),
        ("use", "apply", "apply", "utilize"),
        ("show", "present", "present", "demonstrate"),
        ("results", "effects", "effects", "consequences"),
        ("decrease", "diminish", "fall", "diminish"),
    ],
)
def test_synonym_modes(thesaurus, word, standard, simple, formal):
    assert thesaurus.synonym(word, "standard") == standard
    assert thesaurus.synonym(word, "simple") == simple
    assert thesaurus.synonym(word, "formal") == formal


def test_synonym_formal_skips_colloquial_synsets(thesaurus):
    # "lousy" has one sense, marked colloquial in WordNet 3.0.
    assert thesaurus.synonym("lousy", "standard") == "rotten"
    assert thesaurus.synonym("lousy", "formal") is None


def test_modes_differ_as_documented(paraphrase):
    results = {
        mode: paraphrase(SAMPLE, mode=mode, synonym=100)
        for mode in ("standard", "simple", "formal")
    }

    assert len(set(results.values())) == 3
    standard = dict(changed_words(SAMPLE, results["standard"]))
    simple = dict(changed_words(SAMPLE, results["simple"]))
    formal_words = re.findall(r"[A-Za-z]+", results["formal"])
    assert "cannot" in formal_words
    assert "can't" not in results["formal"]
    for word, choice in simple.items():
        assert len(choice) <= len(standard[word])
    formal_text = (
        results["formal"].replace("cannot", "can't").replace("do not", "don't")
    )
    for word, choice in changed_words(SAMPLE, formal_text):
        assert len(choice) >= len(standard[word])


def test_synonym_keeps_inflection(thesaurus):
    assert thesaurus.synonym("helps", "standard") == "aids"
    assert thesaurus.synonym("helped", "standard") == "aided"
    assert thesaurus.synonym("helping", "standard") == "aiding"
    assert thesaurus.synonym("questions", "standard") == "inquiries"


def test_synonym_skips_irregular_forms(thesaurus):
    for word in ("went", "children", "better", "ran", "mice"):
        assert thesaurus.synonym(word, "standard") is None


def test_synonym_skips_rare_senses(thesaurus):
    # The second sense of "dog" is "frump", a sense "dog" is never counted in.
    assert thesaurus.synonym("dog", "standard") is None


def test_synonym_unknown_and_stop_words(thesaurus):
    assert thesaurus.synonym("qwertyuiop", "standard") is None
    assert thesaurus.synonym("xylophonist", "standard") is None


def test_synonym_context_selects_part_of_speech(thesaurus):
    assert thesaurus.synonym("help", "standard", Context.VERBAL) == "aid"
    assert thesaurus.synonym("help", "standard", Context.NOMINAL) == "assistance"
    assert thesaurus.synonym("quickly", "standard", Context.NOMINAL) is None


def test_synonym_never_returns_multiword_or_capitalized(thesaurus):
    text_words = set(re.findall(r"[a-z]+", SAMPLE.lower()))

    for word in text_words:
        for mode in ("standard", "simple", "formal"):
            synonym = thesaurus.synonym(word, mode)
            if synonym is not None:
                assert synonym.isalpha()
                assert synonym.islower()
                assert synonym != word


def test_can_be_adjective(thesaurus):
    assert thesaurus.can_be_adjective("detailed")
    assert not thesaurus.can_be_adjective("results")


def test_sense_counts_match_nltk(thesaurus):
    reader = thesaurus._reader
    counts = SenseCounts.from_reader(reader)

    for name in ("show", "help", "result", "car", "good", "quickly"):
        for synset in reader.synsets(name)[:6]:
            for lemma in synset.lemmas():
                assert counts.count(lemma) == lemma.count()


def test_sense_counts_total_sums_senses(thesaurus):
    reader = thesaurus._reader
    counts = SenseCounts.from_reader(reader)

    for word, pos in (("book", "n"), ("run", "v"), ("fast", "r")):
        expected = sum(
            lemma.count()
            for synset in reader.synsets(word, pos)
            for lemma in synset.lemmas()
            if lemma.name() == word
        )
        assert counts.total(word, pos) == expected
    assert counts.total("qwertyuiop", "n") == 0


def test_thesaurus_concurrent_cold_lookups(thesaurus):
    fresh = Thesaurus(WordNetLoader().reader())
    texts = [SAMPLE * 3 + f"Part {number} of the report." for number in range(8)]
    modes = ["standard", "simple", "formal"]

    def run(index: int, chosen: Thesaurus) -> str:
        options = ParaphraseOptions(mode=modes[index % 3], synonym=100)
        return TextParaphraser(options, chosen).paraphrase(texts[index])

    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda index: run(index, fresh), range(8)))

    assert concurrent == [run(index, thesaurus) for index in range(8)]
