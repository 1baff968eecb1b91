"""The main job on real files: upload, watch progress, cancel, download."""

from __future__ import annotations

import io
import docx
from support import add_files, row, sign_in, wait_status, write_sized_file, write_text_file

MIB = 1024 * 1024

PROSE = (
    "The quick brown fox jumps over the lazy dog near the river bank. "
    "Machine learning helps people find important information quickly. "
    "Every morning the small team reviews the quarterly report and plans "
    "the next steps for the project.\n"
)


def set_range(locator, value: int) -> None:
    locator.evaluate(
        "(input, value) => { input.value = value;"
        " input.dispatchEvent(new Event('input', {bubbles: true})); }",
        str(value),
    )


def download(page, name: str) -> bytes:
    with page.expect_download() as info:
        row(page, name).get_by_role("button", name="Download").click()
    return open(info.value.path(), "rb").read()


def test_documents_are_paraphrased_with_frozen_words(page, server, tmp_path):
    text_path = write_text_file(tmp_path, "story.txt", PROSE * 5)
    markdown = (
        "# Project notes\n\n" + PROSE + "\nRun `quick brown fox --fast` first.\n\n"
        "See [the quick guide](https://example.com/quick-brown) for details.\n"
    )
    md_path = write_text_file(tmp_path, "notes.md", markdown)
    document = docx.Document()
    document.add_paragraph(PROSE.strip())
    bold = document.add_paragraph().add_run("Machine learning is important.")
    bold.bold = True
    docx_path = tmp_path / "report.docx"
    document.save(docx_path)

    sign_in(page, server)
    set_range(page.get_by_label("Synonyms"), 100)
    page.get_by_label("Freeze words").fill("quick brown fox\nmachine learning")
    add_files(page, text_path, md_path, docx_path)
    for name in ("story.txt", "notes.md", "report.docx"):
        wait_status(page, name, "succeeded")

    text_out = download(page, "story.txt").decode()
    assert text_out != PROSE * 5
    assert text_out.count("quick brown fox") == 5
    assert text_out.count("Machine learning") == 5

    md_out = download(page, "notes.md").decode()
    assert md_out.startswith("# ")
    assert "`quick brown fox --fast`" in md_out
    assert "(https://example.com/quick-brown)" in md_out
    assert md_out != markdown

    result = docx.Document(io.BytesIO(download(page, "report.docx")))
    paragraphs = [p.text for p in result.paragraphs]
    assert "quick brown fox" in paragraphs[0]
    assert paragraphs[0] != PROSE.strip()
    assert result.paragraphs[1].runs[0].bold
    assert "Machine learning" in paragraphs[1]
    assert page.probe.errors == []


def test_history_lists_processed_files(page, server, tmp_path):
    sign_in(page, server)
    add_files(page, write_text_file(tmp_path, "history-check.txt", PROSE))
    wait_status(page, "history-check.txt", "succeeded")

    entry = page.locator("#history li", has_text="history-check")
    entry.wait_for()
    with page.expect_download() as info:
        entry.get_by_role("button", name="Download").click()
    assert open(info.value.path(), "rb").read()


def test_progress_rises_then_processing(page, server, tmp_path):
    server.configure(readBytesPerSecond=3 * MIB)
    big = write_sized_file(tmp_path, "large.txt", 24 * MIB)
    sign_in(page, server)
    page.evaluate(
        """() => {
        window.progressSeen = [];
        window.statusSeen = [];
        new MutationObserver(() => {
            const bar = document.querySelector('#queue [role=progressbar]');
            const item = document.querySelector('#queue [data-status]');
            if (bar) window.progressSeen.push(Number(bar.getAttribute('aria-valuenow')));
            if (item) window.statusSeen.push(item.dataset.status);
        }).observe(document.getElementById('queue'),
                   {subtree: true, attributes: true, childList: true});
    }"""
    )

    add_files(page, big)
    wait_status(page, "large.txt", "succeeded", timeout=120_000)

    values = page.evaluate("window.progressSeen")
    statuses = page.evaluate("window.statusSeen")
    uploading = [v for v, s in zip(values, statuses) if s == "uploading"]
    distinct = sorted(set(uploading))
    assert len(distinct) >= 5, distinct
    assert uploading == sorted(uploading)
    assert "processing" in statuses
    assert statuses.index("processing") > statuses.index("uploading")
    assert max(uploading) < 100


def test_cancel_mid_upload_keeps_nothing(page, server, tmp_path):
    server.configure(readBytesPerSecond=1 * MIB)
    big = write_sized_file(tmp_path, "cancel-me.txt", 16 * MIB)
    sign_in(page, server)

    add_files(page, big)
    page.wait_for_function(
        """() => {
        const bar = document.querySelector('#queue [role=progressbar]');
        return bar && Number(bar.getAttribute('aria-valuenow')) >= 30;
    }""",
        timeout=60_000,
    )
    row(page, "cancel-me.txt").get_by_role("button", name="Cancel").click()

    wait_status(page, "cancel-me.txt", "cancelled")
    stats = server.stats()
    assert stats["uploadsCompleted"] == 0
    assert stats["uploadsProcessed"] == 0
    assert row(page, "cancel-me.txt").get_by_role("button", name="Retry").is_visible()


def test_server_never_sees_more_than_concurrency(page, server, tmp_path):
    server.add_faults(
        {"path": "/p-v2/api/files/file-paraphrase", "times": 10, "action": "delay", "seconds": 1}
    )
    files = [write_text_file(tmp_path, f"doc-{n}.txt", PROSE) for n in range(10)]
    sign_in(page, server)

    add_files(page, *files)
    for n in range(10):
        wait_status(page, f"doc-{n}.txt", "succeeded")

    stats = server.stats()
    assert stats["maxConcurrentUploads"] == 3
    assert stats["uploadsProcessed"] == 10


def test_file_name_with_markup_renders_as_text(page, server, tmp_path):
    name = '<img src=x onerror="window.injected=1">.txt'
    path = write_text_file(tmp_path, name, PROSE)
    sign_in(page, server)

    add_files(page, path)
    wait_status(page, "onerror", "succeeded")

    assert page.locator("#queue img").count() == 0
    assert page.locator("#queue .row-name").first.text_content() == name
    assert page.evaluate("window.injected") is None
