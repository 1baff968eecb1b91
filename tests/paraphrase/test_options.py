from __future__ import annotations

import pytest

from server.paraphrase import (
    MODES,
    SUPPORTED_LANGUAGES,
    DocumentError,
    OptionsError,
    ParaphraseOptions,
)
from server.paraphrase.options import MAX_FREEZE_TERM_CHARS, MAX_FREEZE_TERMS


def test_options_defaults():
    options = ParaphraseOptions.from_form({})

    assert options == ParaphraseOptions()
    assert options.mode == "standard"
    assert options.synonym == 50
    assert options.language == "en"
    assert options.freeze == ()


def test_options_public_constants():
    assert MODES == ("standard", "formal", "simple")
    assert SUPPORTED_LANGUAGES == {"en": "English"}
    assert issubclass(OptionsError, DocumentError)


def test_from_form_reads_every_field():
    options = ParaphraseOptions.from_form(
        {
            "mode": ["Formal"],
            "synonym": [" 80 "],
            "language": ["EN"],
            "freeze": ["API", "Acme Corp"],
        }
    )

    assert options.mode == "formal"
    assert options.synonym == 80
    assert options.language == "en"
    assert options.freeze == ("API", "Acme Corp")


def test_from_form_blank_values_keep_defaults():
    options = ParaphraseOptions.from_form(
        {"mode": [""], "synonym": ["  "], "language": [""], "freeze": [""]}
    )

    assert options == ParaphraseOptions()


@pytest.mark.parametrize("value", ["0", "100", "007"])
def test_from_form_synonym_bounds_accepted(value):
    assert ParaphraseOptions.from_form({"synonym": [value]}).synonym == int(value)


@pytest.mark.parametrize(
    "value", ["101", "-1", "abc", "50.5", "1e2", "99999999999999999999", "\uff15"]
)
def test_from_form_synonym_invalid(value):
    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions.from_form({"synonym": [value]})

    message = raised.value.message
    assert "'synonym'" in message
    assert "0 to 100" in message
    assert repr(value[:40]).strip("'") in message


def test_from_form_synonym_101_message():
    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions.from_form({"synonym": ["101"]})

    assert raised.value.message == (
        "Field 'synonym' must be a whole number from 0 to 100, got '101'."
    )


def test_from_form_bad_mode_names_allowed_modes():
    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions.from_form({"mode": ["fancy"]})

    message = raised.value.message
    assert "'mode'" in message
    assert "'fancy'" in message
    for mode in MODES:
        assert mode in message


def test_from_form_language_fr_names_supported():
    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions.from_form({"language": ["fr"]})

    assert raised.value.message == (
        "Language 'fr' is not supported. Supported languages: en (English)."
    )


def test_from_form_repeated_field_rejected():
    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions.from_form({"mode": ["formal", "simple"]})

    assert "'mode'" in raised.value.message
    assert "2 times" in raised.value.message


def test_freeze_comma_and_newline_parsing():
    options = ParaphraseOptions.from_form(
        {"freeze": ["alpha, beta ,,gamma", "machine   learning\r\nDelta\n", " "]}
    )

    assert options.freeze == ("alpha", "beta", "gamma", "machine learning", "Delta")


def test_freeze_dedupes_case_insensitively():
    options = ParaphraseOptions.from_form(
        {"freeze": ["API, api", "Api", "ÉCOLE, école"]}
    )

    assert options.freeze == ("API", "ÉCOLE")


def test_freeze_too_many_terms():
    terms = ",".join(f"term{number}" for number in range(MAX_FREEZE_TERMS + 1))

    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions.from_form({"freeze": [terms]})

    assert "'freeze'" in raised.value.message
    assert str(MAX_FREEZE_TERMS) in raised.value.message


def test_freeze_max_terms_accepted():
    terms = ",".join(f"term{number}" for number in range(MAX_FREEZE_TERMS))

    options = ParaphraseOptions.from_form({"freeze": [terms]})

    assert len(options.freeze) == MAX_FREEZE_TERMS


def test_freeze_term_too_long():
    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions.from_form({"freeze": ["x" * (MAX_FREEZE_TERM_CHARS + 1)]})

    assert "'freeze'" in raised.value.message
    assert str(MAX_FREEZE_TERM_CHARS) in raised.value.message


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"mode": "loud"}, "mode"),
        ({"synonym": 101}, "synonym"),
        ({"synonym": -1}, "synonym"),
        ({"synonym": "50"}, "synonym"),
        ({"synonym": True}, "synonym"),
        ({"language": "de"}, "Language"),
        ({"freeze": "one string"}, "freeze"),
        ({"freeze": ("ok", "")}, "freeze"),
    ],
)
def test_options_constructor_validates(arguments, field):
    with pytest.raises(OptionsError) as raised:
        ParaphraseOptions(**arguments)

    assert field in raised.value.message


def test_options_constructor_converts_freeze_list():
    options = ParaphraseOptions(freeze=["alpha", "beta"])

    assert options.freeze == ("alpha", "beta")
    assert hash(options) == hash(ParaphraseOptions(freeze=("alpha", "beta")))
