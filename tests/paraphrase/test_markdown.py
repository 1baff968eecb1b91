from __future__ import annotations

import pytest

from server.paraphrase import ParaphraseOptions
from server.paraphrase.markdown import protected_ranges
from server.paraphrase.text import TextParaphraser

PROSE = "Results help customers answer each question."
CHANGED = "Effects aid clients reply each inquiry."


@pytest.fixture
def paraphrase_markdown(thesaurus):
    def run(text: str) -> str:
        paraphraser = TextParaphraser(ParaphraseOptions(synonym=100), thesaurus)
        return paraphraser.paraphrase(text, protected_ranges(text))

    return run


def test_markdown_paraphrases_prose(paraphrase_markdown):
    assert paraphrase_markdown(PROSE + "\n") == CHANGED + "\n"


def test_markdown_keeps_heading_markers(paraphrase_markdown):
    text = f"# {PROSE}\n\n### {PROSE} {{#custom-id}}\n\nSetext\n======\n"

    result = paraphrase_markdown(text)

    assert result == f"# {CHANGED}\n\n### {CHANGED} {{#custom-id}}\n\nSetext\n======\n"


def test_markdown_keeps_fenced_code(paraphrase_markdown):
    code = (
        "```python\nresults = help(question)  # results help\n```\n\n"
        "~~~~\nresults help\n```\nstill code\n~~~~\n"
    )
    text = f"{PROSE}\n\n{code}\n{PROSE}\n"

    result = paraphrase_markdown(text)

    assert result == f"{CHANGED}\n\n{code}\n{CHANGED}\n"


def test_markdown_unclosed_fence_runs_to_end(paraphrase_markdown):
    text = f"{PROSE}\n\n```\n{PROSE}\n"

    assert paraphrase_markdown(text) == f"{CHANGED}\n\n```\n{PROSE}\n"


def test_markdown_keeps_indented_code(paraphrase_markdown):
    text = f"{PROSE}\n\n    {PROSE}\n\tresults help\n\n{PROSE}\n"

    result = paraphrase_markdown(text)

    assert result == f"{CHANGED}\n\n    {PROSE}\n\tresults help\n\n{CHANGED}\n"


def test_markdown_lazy_continuation_is_prose(paraphrase_markdown):
    text = f"{PROSE}\n    {PROSE}\n"

    assert paraphrase_markdown(text) == f"{CHANGED}\n    {CHANGED}\n"


def test_markdown_keeps_inline_code(paraphrase_markdown):
    text = "Results `help customers` and ``results ` help`` answer.\n"

    result = paraphrase_markdown(text)

    assert result == "Effects `help customers` and ``results ` help`` reply.\n"


def test_markdown_keeps_link_and_image_urls(paraphrase_markdown):
    text = (
        '[Results help](https://example.com/results-help "Results help") and '
        "![large car](img/large-car.png) and [answer](<answer page.md>) "
        "[wiki](https://en.wikipedia.org/wiki/Help_(answer)).\n"
    )

    result = paraphrase_markdown(text)

    assert result == (
        '[Effects aid](https://example.com/results-help "Results help") and '
        "![big automobile](img/large-car.png) and [reply](<answer page.md>) "
        "[wiki](https://en.wikipedia.org/wiki/Help_(answer)).\n"
    )


def test_markdown_keeps_reference_links(paraphrase_markdown):
    text = (
        "See [the answer][answer], [Answer][] and [answer].\n\n"
        '[answer]: https://example.com/answer "Answer title"\n'
    )

    result = paraphrase_markdown(text)

    assert result == text.replace("the answer]", "the reply]")


def test_markdown_keeps_autolinks_and_bare_urls(paraphrase_markdown):
    text = (
        "Read <https://example.com/answer>, <help@example.com> or https://x.io/help.\n"
    )

    assert paraphrase_markdown(text) == text


def test_markdown_keeps_html(paraphrase_markdown):
    text = (
        '<div class="answer">\n<span title="results help">x</span>\n</div>\n'
        "<!-- results help\ncustomers -->\n"
        "<pre>\nresults help\n</pre>\n"
        "<script>var results = help;</script>\n"
    )

    assert paraphrase_markdown(text) == text


def test_markdown_keeps_list_quote_and_emphasis_markers(paraphrase_markdown):
    text = f"* {PROSE}\n- **Results** help *customers*.\n1. {PROSE}\n> {PROSE}\n"

    result = paraphrase_markdown(text)

    assert result == (
        f"* {CHANGED}\n- **Effects** aid *clients*.\n1. {CHANGED}\n> {CHANGED}\n"
    )


def test_markdown_keeps_front_matter(paraphrase_markdown):
    text = f"---\ntitle: {PROSE}\n---\n{PROSE}\n"

    assert paraphrase_markdown(text) == f"---\ntitle: {PROSE}\n---\n{CHANGED}\n"


def test_markdown_thematic_break_is_not_front_matter(paraphrase_markdown):
    text = f"---\n{PROSE}\n"

    assert paraphrase_markdown(text) == f"---\n{CHANGED}\n"


def test_markdown_footnotes(paraphrase_markdown):
    text = f"Results[^help] vary.\n\n[^help]: {PROSE}\n"

    result = paraphrase_markdown(text)

    assert result == f"Effects[^help] change.\n\n[^help]: {CHANGED}\n"


def test_markdown_crlf_line_endings(paraphrase_markdown):
    text = f"# {PROSE}\r\n\r\n```\r\nresults help\r\n```\r\n{PROSE}\r\n"

    result = paraphrase_markdown(text)

    assert result == f"# {CHANGED}\r\n\r\n```\r\nresults help\r\n```\r\n{CHANGED}\r\n"


def test_protected_ranges_unclosed_constructs_stay_linear():
    text = "<code> `a " * 20_000 + "<!-- x " * 20_000 + '](x "y ' * 20_000

    ranges = protected_ranges(text)

    assert ranges
    assert all(start < end for start, end in ranges)
