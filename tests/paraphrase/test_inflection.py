from __future__ import annotations

import pytest

from server.paraphrase.inflection import (
    Inflection,
    past,
    plural,
    present_participle,
    recognize,
    third_person,
)


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("car", "cars"),
        ("box", "boxes"),
        ("church", "churches"),
        ("city", "cities"),
        ("day", "days"),
        ("photo", None),
        ("leaf", None),
        ("knife", None),
    ],
)
def test_plural(noun, expected):
    assert plural(noun) == expected


@pytest.mark.parametrize(
    ("verb", "third", "past_form", "participle"),
    [
        ("help", "helps", "helped", "helping"),
        ("use", "uses", "used", "using"),
        ("try", "tries", "tried", "trying"),
        ("play", "plays", "played", "playing"),
        ("go", "goes", "goed", "going"),
        ("agree", "agrees", "agreed", "agreeing"),
        ("die", "dies", "died", "dying"),
        ("stop", "stops", None, None),
        ("visit", "visits", None, None),
        ("fix", "fixes", "fixed", "fixing"),
    ],
)
def test_verb_forms(verb, third, past_form, participle):
    assert third_person(verb) == third
    assert past(verb) == past_form
    assert present_participle(verb) == participle


def test_recognize_regular_forms():
    assert recognize("cars", "car", noun=True) is Inflection.PLURAL
    assert recognize("car", "car", noun=True) is Inflection.BASE
    assert recognize("helps", "help", noun=False) is Inflection.THIRD_PERSON
    assert recognize("helped", "help", noun=False) is Inflection.PAST
    assert recognize("helping", "help", noun=False) is Inflection.PRESENT_PARTICIPLE


def test_recognize_rejects_irregular_and_doubled():
    assert recognize("stopped", "stop", noun=False) is None
    assert recognize("went", "go", noun=False) is None
    assert recognize("leaves", "leaf", noun=True) is None
