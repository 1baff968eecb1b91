"""Regular English inflection, applied conservatively.

Each function returns None when the regular rule may be wrong for the word, so the
caller can skip that synonym instead of writing an ungrammatical form. Final
consonant doubling ("stop" -> "stopped", but "visit" -> "visited") depends on stress,
which the spelling does not show, so words ending consonant-vowel-consonant get no
-ed or -ing form. Irregular words listed in WordNet's exception files are the
caller's to exclude.
"""

from __future__ import annotations

import enum

_VOWELS = frozenset("aeiou")
_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")


class Inflection(enum.Enum):
    """The relation of a word in the text to its WordNet base form."""

    BASE = "base"  # the word is the base form itself
    PLURAL = "plural"  # noun + -s/-es
    THIRD_PERSON = "third person"  # verb + -s/-es
    PAST = "past"  # verb + -ed, past tense or past participle
    PRESENT_PARTICIPLE = "present participle"  # verb + -ing


def inflect(base: str, inflection: Inflection) -> str | None:
    """Apply `inflection` to `base`, or return None when the rule is uncertain."""
    if inflection is Inflection.BASE:
        return base
    if inflection is Inflection.PLURAL:
        return plural(base)
    if inflection is Inflection.THIRD_PERSON:
        return third_person(base)
    if inflection is Inflection.PAST:
        return past(base)
    return present_participle(base)


def recognize(word: str, base: str, noun: bool) -> Inflection | None:
    """Return the regular inflection that turns `base` into `word`, if any."""
    if word == base:
        return Inflection.BASE
    if noun:
        return Inflection.PLURAL if plural(base) == word else None

    for inflection in (
        Inflection.THIRD_PERSON,
        Inflection.PAST,
        Inflection.PRESENT_PARTICIPLE,
    ):
        if inflect(base, inflection) == word:
            return inflection
    return None


def plural(noun: str) -> str | None:
    # Endings in -o and -f have two regular plurals: "photos"/"potatoes",
    # "roofs"/"leaves".
    if noun.endswith(("o", "f", "fe")):
        return None
    if noun.endswith(_SIBILANT_ENDINGS):
        return noun + "es"
    if _ends_consonant_y(noun):
        return noun[:-1] + "ies"
    return noun + "s"


def third_person(verb: str) -> str | None:
    if verb.endswith(_SIBILANT_ENDINGS + ("o",)):
        return verb + "es"
    if _ends_consonant_y(verb):
        return verb[:-1] + "ies"
    return verb + "s"


def past(verb: str) -> str | None:
    if _may_double_final_consonant(verb):
        return None
    if verb.endswith("e"):
        return verb + "d"
    if _ends_consonant_y(verb):
        return verb[:-1] + "ied"
    return verb + "ed"


def present_participle(verb: str) -> str | None:
    if _may_double_final_consonant(verb):
        return None
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith(("ee", "ye", "oe")):
        return verb + "ing"
    if verb.endswith("e") and len(verb) > 2:
        return verb[:-1] + "ing"
    return verb + "ing"


def _ends_consonant_y(word: str) -> bool:
    return len(word) > 1 and word[-1] == "y" and word[-2] not in _VOWELS


def _may_double_final_consonant(word: str) -> bool:
    if len(word) < 3 or word[-1] in "wxy" or word[-1] in _VOWELS:
        return False
    return word[-2] in _VOWELS and word[-3] not in _VOWELS
