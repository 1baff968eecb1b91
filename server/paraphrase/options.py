"""Paraphrase options and their parsing from a multipart form.

A form sends each field as a list of values. `ParaphraseOptions.from_form` turns the
fields "mode", "synonym", "language" and "freeze" into a validated, immutable
`ParaphraseOptions`, and raises `OptionsError` with a message that names the field,
the invalid value and the allowed values.

    >>> options = ParaphraseOptions.from_form({"synonym": ["80"], "freeze": ["A, B"]})
    >>> options.synonym, options.freeze
    (80, ('A', 'B'))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import OptionsError

MODES = ("standard", "formal", "simple")
SUPPORTED_LANGUAGES = {"en": "English"}

MAX_FREEZE_TERMS = 200
MAX_FREEZE_TERM_CHARS = 100

# Maximum number of characters of a rejected value that an error message repeats.
_MAX_SHOWN_CHARS = 40
_FREEZE_SEPARATOR = re.compile(r"[,\r\n]+")


@dataclass(frozen=True)
class ParaphraseOptions:
    """Options for one paraphrase request.

    mode: "standard", "formal" or "simple"; the `thesaurus` module documents each.
    synonym: percent (0 to 100) of eligible words that are replaced.
    language: code of the document language; only "en" is supported.
    freeze: words and phrases that are never changed, matched case-insensitively.
    """

    mode: str = "standard"
    synonym: int = 50
    language: str = "en"
    freeze: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise OptionsError(
                f"Field 'mode' must be one of {', '.join(MODES)}, "
                f"got {_show(self.mode)}."
            )

        if isinstance(self.synonym, bool) or not isinstance(self.synonym, int):
            raise OptionsError(
                f"Field 'synonym' must be a whole number from 0 to 100, "
                f"got {_show(self.synonym)}."
            )
        if not 0 <= self.synonym <= 100:
            raise OptionsError(
                f"Field 'synonym' must be a whole number from 0 to 100, "
                f"got {self.synonym}."
            )

        if self.language not in SUPPORTED_LANGUAGES:
            raise OptionsError(
                f"Language {_show(self.language)} is not supported. "
                f"Supported languages: {_describe_languages()}."
            )

        object.__setattr__(self, "freeze", _validate_freeze(self.freeze))

    @classmethod
    def from_form(cls, fields: Mapping[str, Sequence[str]]) -> ParaphraseOptions:
        """Build options from multipart form fields; a missing or blank field keeps
        its default."""
        mode = _single_value(fields, "mode")
        synonym = _single_value(fields, "synonym")
        language = _single_value(fields, "language")

        return cls(
            mode=cls.mode if mode is None else mode.lower(),
            synonym=cls.synonym if synonym is None else _parse_synonym(synonym),
            language=cls.language if language is None else language.lower(),
            freeze=parse_freeze(_all_values(fields, "freeze")),
        )


def parse_freeze(values: Iterable[str]) -> tuple[str, ...]:
    """Split freeze values on commas and line breaks, strip them, drop empty ones
    and drop case-insensitive duplicates, keeping the first spelling."""
    terms: list[str] = []
    seen: set[str] = set()
    for value in values:
        for part in _FREEZE_SEPARATOR.split(value):
            term = " ".join(part.split())
            key = term.casefold()
            if term and key not in seen:
                seen.add(key)
                terms.append(term)
    return _validate_freeze(terms)


def _validate_freeze(terms: Iterable[str]) -> tuple[str, ...]:
    if isinstance(terms, str):
        raise OptionsError(
            "Field 'freeze' must be a list of words or phrases, got one string."
        )
    terms = tuple(terms)

    if len(terms) > MAX_FREEZE_TERMS:
        raise OptionsError(
            f"Field 'freeze' has {len(terms)} words or phrases, but at most "
            f"{MAX_FREEZE_TERMS} are allowed. Remove some and try again."
        )
    for term in terms:
        if not isinstance(term, str) or not term.strip():
            raise OptionsError(
                f"Field 'freeze' must contain only non-empty words or phrases, "
                f"got {_show(term)}."
            )
        if len(term) > MAX_FREEZE_TERM_CHARS:
            raise OptionsError(
                f"Field 'freeze' entry {_show(term)} is {len(term)} characters long, "
                f"but at most {MAX_FREEZE_TERM_CHARS} are allowed."
            )
    return terms


def _all_values(fields: Mapping[str, Sequence[str]], name: str) -> Sequence[str]:
    values = fields.get(name, ())
    if isinstance(values, str):
        return (values,)
    return values


def _single_value(fields: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = _all_values(fields, name)
    if len(values) > 1:
        raise OptionsError(
            f"Field '{name}' was sent {len(values)} times, but it takes one value."
        )
    if not values or not values[0].strip():
        return None
    return values[0].strip()


def _parse_synonym(value: str) -> int:
    # Three significant digits cover 0 to 100 and keep int() away from huge inputs.
    digits = value.isascii() and value.isdigit() and len(value.lstrip("0")) <= 3
    if not digits or int(value) > 100:
        raise OptionsError(
            f"Field 'synonym' must be a whole number from 0 to 100, got {_show(value)}."
        )
    return int(value)


def _describe_languages() -> str:
    return ", ".join(f"{code} ({name})" for code, name in SUPPORTED_LANGUAGES.items())


def _show(value: object) -> str:
    """Quote a rejected value for an error message, shortened to a readable length."""
    if not isinstance(value, str):
        return repr(value)[:_MAX_SHOWN_CHARS]
    if len(value) > _MAX_SHOWN_CHARS:
        return repr(value[:_MAX_SHOWN_CHARS] + "...")
    return repr(value)
