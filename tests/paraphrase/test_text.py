from __future__ import annotations

import re

import pytest

from server.paraphrase import ParaphraseOptions
from server.paraphrase.text import (
    Replacement,
    TextParaphraser,
    apply_replacements,
    compile_freeze,
    match_case,
)

WORD = re.compile(r"[A-Za-z]+(?:['\-][A-Za-z]+)*")

SAMPLE = (
    "The results show that our team will provide a detailed report next week.\n"
    "Users begin to use the new system quickly, and it helps them answer each "
    "question.\n"
    "A large car can't start when the weather is difficult; we don't know why.\n"
)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def changed_words(before: str, after: str) -> list[tuple[str, str]]:
    pairs = zip(words(before), words(after), strict=True)
    return [(old, new) for old, new in pairs if old != new]


def skeleton(text: str) -> str:
    """Return everything but the letters: whitespace, punctuation, digits."""
    return re.sub(r"[A-Za-z]+", "", text)


def test_paraphrase_is_deterministic(paraphrase):
    first = paraphrase(SAMPLE, synonym=60)
    second = paraphrase(SAMPLE, synonym=60)

    assert first == second
    assert first != SAMPLE


def test_paraphrase_synonym_zero_changes_nothing(paraphrase):
    for mode in ("standard", "simple"):
        assert paraphrase(SAMPLE, mode=mode, synonym=0) == SAMPLE


def test_paraphrase_formal_zero_only_expands_contractions(paraphrase):
    result = paraphrase(SAMPLE, mode="formal", synonym=0)

    expected = SAMPLE.replace("can't", "cannot").replace("don't", "do not")
    assert result == expected


def test_paraphrase_synonym_100_changes_many_words(paraphrase):
    result = paraphrase(SAMPLE, synonym=100)

    changed = changed_words(SAMPLE, result)
    assert len(changed) >= 10
    assert ("results", "effects") in changed
    assert ("provide", "supply") in changed


def test_paraphrase_synonym_percent_scales_changes(paraphrase):
    text = " ".join(["The results help customers."] * 200)

    counts = {
        percent: len(changed_words(text, paraphrase(text, synonym=percent)))
        for percent in (0, 25, 50, 75, 100)
    }

    assert counts[0] == 0
    assert counts[0] < counts[25] < counts[50] < counts[75] < counts[100]
    assert counts[100] == 600  # results, help and customers in every sentence
    assert 200 < counts[50] < 400


def test_paraphrase_selection_varies_by_position(paraphrase):
    text = " ".join(["The results."] * 50)

    changed = changed_words(text, paraphrase(text, synonym=50))

    assert set(changed) == {("results", "effects")}
    assert 10 < len(changed) < 40


def test_paraphrase_keeps_whitespace_and_punctuation(paraphrase):
    text = 'Results:\tthe  team (quickly!) provides\r\nanswers... "Big" cars?  \n'

    result = paraphrase(text, synonym=100)

    assert result != text
    assert skeleton(result) == skeleton(text)


def test_paraphrase_keeps_capitalization(paraphrase):
    text = "Results vary. RESULTS VARY. The results vary, results."

    result = paraphrase(text, synonym=100)

    assert result == "Effects change. EFFECTS CHANGE. The effects change, effects."


def test_paraphrase_skips_title_case_inside_sentence(paraphrase):
    text = "We met Answer and Question there, with Car."

    assert paraphrase(text, synonym=100) == text


def test_paraphrase_keeps_contractions_and_hyphens(paraphrase):
    text = "It's a well-known car-sharing result, isn't it? Don't provide it."

    result = paraphrase(text, synonym=100)

    for kept in ("It's", "well-known", "car-sharing", "isn't", "Don't"):
        assert kept in result
    assert "supply" in result


def test_paraphrase_formal_expands_contractions(paraphrase):
    text = "It's late. DON'T wait, we\u2019re done and I'm sure they've left."

    result = paraphrase(text, mode="formal", synonym=0)

    assert result == (
        "It is late. DO NOT wait, we are done and I am sure they have left."
    )


def test_paraphrase_leaves_ambiguous_contraction(paraphrase):
    text = "She'd know the results."

    result = paraphrase(text, mode="formal", synonym=100)

    assert result.startswith("She'd know")


def test_paraphrase_skips_urls_emails_and_identifiers(paraphrase):
    text = (
        "See https://example.com/results/help?answer=question and "
        "www.example.org/answer, mail help.desk@results.example.com, "
        "read results.txt, provide_results() or @answer #question."
    )

    assert paraphrase(text, synonym=100) == text


def test_paraphrase_skips_numbers_and_short_words(paraphrase):
    text = "Run 42 results in 3D and 2nd car at 10am; go up."

    result = paraphrase(text, synonym=100)

    for kept in ("42", "3D", "2nd", "10am", " go up."):
        assert kept in result


def test_paraphrase_fixes_indefinite_article(paraphrase):
    assert paraphrase("It was a result.", synonym=100) == "It was an effect."
    assert paraphrase("A result came.", synonym=100) == "An effect came."


def test_paraphrase_freeze_words_case_insensitive(paraphrase):
    text = "Results help users. The RESULTS help; results, Results!"

    result = paraphrase(text, synonym=100, freeze=("results",))

    assert words(result)[0::1].count("Results") == 2
    for index, word in enumerate(words(text)):
        if word.lower() == "results":
            assert words(result)[index] == word
    assert "aid" in result


def test_paraphrase_freeze_phrase_keeps_every_word(paraphrase):
    text = (
        "Large car makers help. A LARGE  CAR helps.\n"
        "The large\ncar answer. A large answer."
    )

    result = paraphrase(text, synonym=100, freeze=("Large Car",))

    before, after = words(text), words(result)
    for index in range(len(before) - 1):
        pair = f"{before[index]} {before[index + 1]}".lower()
        if pair == "large car":
            assert after[index] == before[index]
            assert after[index + 1] == before[index + 1]
    assert "A big reply." in result


def test_paraphrase_freeze_matches_word_boundaries_only(paraphrase):
    text = "The answers answer questions."

    result = paraphrase(text, synonym=100, freeze=("answer",))

    assert words(result)[2] == "answer"
    assert words(result)[1] != "answers"


def test_paraphrase_freeze_keeps_contraction(paraphrase):
    result = paraphrase("Don't stop.", mode="formal", synonym=0, freeze=("don't",))

    assert result == "Don't stop."


def test_plan_respects_protected_ranges(thesaurus):
    text = "results results results"
    paraphraser = TextParaphraser(ParaphraseOptions(synonym=100), thesaurus)

    replacements = paraphraser.plan(text, protected=[(8, 15)])

    assert [replacement.start for replacement in replacements] == [0, 16]


def test_plan_position_continues_across_calls(thesaurus):
    options = ParaphraseOptions(synonym=50)
    whole = TextParaphraser(options, thesaurus).paraphrase("results " * 40)
    parts = TextParaphraser(options, thesaurus)

    pieces = [parts.paraphrase("results ") for _ in range(40)]

    assert "".join(pieces) == whole


def test_compile_freeze_prefers_longer_phrase():
    pattern = compile_freeze(["machine", "machine learning", "learning"])

    matches = [match.group() for match in pattern.finditer("Machine  Learning x")]

    assert matches == ["Machine  Learning"]


def test_compile_freeze_escapes_regex_characters():
    pattern = compile_freeze(["C++", "a.b"])

    assert pattern.search("we use C++ daily")
    assert not pattern.search("axb")


def test_compile_freeze_empty_matches_nothing():
    assert compile_freeze([]).search("anything") is None


@pytest.mark.parametrize(
    ("replacement", "original", "expected"),
    [
        ("effect", "result", "effect"),
        ("effect", "Result", "Effect"),
        ("effect", "RESULT", "EFFECT"),
    ],
)
def test_match_case(replacement, original, expected):
    assert match_case(replacement, original) == expected


def test_apply_replacements_in_one_pass():
    text = "one two three"
    replacements = [Replacement(0, 3, "1"), Replacement(8, 13, "3")]

    assert apply_replacements(text, replacements) == "1 two 3"


def test_paraphrase_large_text_is_linear(paraphrase):
    text = SAMPLE * 2000  # about 450 KB

    result = paraphrase(text, synonym=50)

    assert len(words(result)) == len(words(text))
