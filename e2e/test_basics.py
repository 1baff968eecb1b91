"""Start-up, sign-in and the same-origin guarantee, in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from support import DEMO_USER, open_app, sign_in

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_page_shows_starting_state_before_python(page, server):
    page.goto(server.url + "/", wait_until="domcontentloaded")

    startup = page.locator("#startup")
    assert "Starting" in startup.text_content()
    assert page.evaluate("window.uploaderReady") is False

    page.wait_for_function("window.uploaderReady === true", timeout=60_000)
    assert startup.is_hidden()


def test_page_boot_stays_on_own_origin(page, server):
    sign_in(page, server)

    origin = urlsplit(server.url).netloc
    foreign = [url for url in page.probe.requests if urlsplit(url).netloc != origin]
    assert foreign == []
    assert any("/runtime/pyodide/" in url for url in page.probe.requests)
    assert page.probe.errors == []


def test_sign_in_rejects_wrong_password(page, server):
    open_app(page, server)

    page.get_by_label("Username").fill(DEMO_USER)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()

    error = page.locator("#sign-in-error")
    error.wait_for(state="visible")
    page.wait_for_function(
        "document.getElementById('sign-in-error').textContent.length > 0"
    )
    assert "password" in error.text_content().lower()
    assert page.locator("#workspace").is_hidden()


def test_sign_in_requires_both_fields(page, server):
    open_app(page, server)

    page.get_by_role("button", name="Sign in").click()

    page.wait_for_function(
        "document.getElementById('sign-in-error').textContent.length > 0"
    )
    assert "username and password" in page.locator("#sign-in-error").text_content()


def test_reload_keeps_session_from_cookie(page, server):
    sign_in(page, server)

    page.reload()
    page.wait_for_function("window.uploaderReady === true", timeout=60_000)

    assert page.locator("#workspace").is_visible()
    assert page.locator("#sign-in").is_hidden()


def test_sign_out_shows_sign_in_form(page, server):
    sign_in(page, server)

    page.get_by_role("button", name="Sign out").click()

    page.locator("#sign-in").wait_for(state="visible")
    page.reload()
    page.wait_for_function("window.uploaderReady === true", timeout=60_000)
    assert page.locator("#sign-in").is_visible()


def test_screenshot_for_readme(page, server, tmp_path):
    """Takes the README's screenshot of a finished, a failed and a queued file."""
    from support import add_files, wait_status, write_text_file

    sign_in(page, server)
    page.get_by_label("Freeze words").fill("quarterly report")
    files = [
        write_text_file(tmp_path, "quarterly-report.txt", "The quarterly report shows strong growth in every region.\n" * 50),
        write_text_file(tmp_path, "meeting-notes.md", "# Notes\n\nWe agreed to ship the new design next week.\n"),
        write_text_file(tmp_path, "empty.txt", ""),
    ]
    add_files(page, *files)
    wait_status(page, "quarterly-report.txt", "succeeded")
    wait_status(page, "meeting-notes.md", "succeeded")
    page.locator("#history li", has_text="meeting-notes").wait_for()

    page.locator("#messages").evaluate("region => region.replaceChildren()")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshot.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "screenshot-phone.png"), full_page=True)
    assert (ARTIFACTS / "screenshot.png").stat().st_size > 10_000
