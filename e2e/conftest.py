"""Fixtures for the browser tests: the real server, Debian's Chromium, pages.

One server and one browser serve the whole session because Pyodide takes
seconds to start; each test gets a fresh browser context, and the server's
test controls are reset before it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from support import CHROMIUM, CHROMIUM_ARGS, ApiServer, PageProbe


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> ApiServer:
    api = ApiServer(tmp_path_factory.mktemp("server"))
    api.start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, server: ApiServer):
    server.reset()
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context) -> Page:
    page = context.new_page()
    page.probe = PageProbe(page)
    page.set_default_timeout(30_000)
    return page


