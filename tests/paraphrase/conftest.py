"""Fixtures for the paraphraser: one WordNet load per test session."""

from __future__ import annotations

import pytest

from server.paraphrase import ParaphraseOptions
from server.paraphrase.service import default_thesaurus
from server.paraphrase.text import TextParaphraser
from server.paraphrase.thesaurus import Thesaurus


@pytest.fixture(scope="session")
def thesaurus() -> Thesaurus:
    return default_thesaurus()


@pytest.fixture
def paraphrase(thesaurus: Thesaurus):
    """Paraphrase one text with a fresh paraphraser and the given options."""

    def run(text: str, **options) -> str:
        paraphraser = TextParaphraser(ParaphraseOptions(**options), thesaurus)
        return paraphraser.paraphrase(text)

    return run
