"""The built site (`make dist`) on a plain static server, the API on another origin.

The static server applies dist/_headers, so the page runs under the
Content-Security-Policy the build wrote. The API is the reference server on
another port of 127.0.0.1, which is another origin of the same site, started
with ``--allow-origin`` for the static server's origin. Only config.json and
the CSP connect-src change, as a deployment would change them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page
from support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    DEMO_USER,
    ROOT,
    SERVER_START_TIMEOUT,
    ApiServer,
    PageProbe,
    add_files,
    wait_status,
    write_text_file,
)

from deploy.headers import format_headers, parse_headers

DIST = ROOT / "dist"
# Generous, because the machine's other browser tests slow Pyodide's start.
READY_TIMEOUT_MS = 180_000
# Records CSP violations from the first script on; Playwright injects it
# through the DevTools protocol, which the page's CSP does not govern.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class StaticSite:
    """e2e/static_site.py in a subprocess, serving a copy of dist/."""

    def __init__(self, site: Path, log_path: Path) -> None:
        self.site = site
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "e2e" / "static_site.py"), str(self.site)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = re.search(r"Serving on (http://\S+)", line)
            if match:
                self.url = match.group(1)
                return
        self.stop()
        raise RuntimeError(
            f"The static server did not start:\n{self.log_path.read_text()}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def write_config(self, values: dict | str) -> None:
        text = values if isinstance(values, str) else json.dumps(values)
        (self.site / "config.json").write_text(text)

    def allow_connect(self, origin: str) -> None:
        """Add an origin to the CSP connect-src in _headers, as a deployer would."""
        path = self.site / "_headers"
        rules = parse_headers(path.read_text())
        for rule in rules:
            policy = rule.headers.get("Content-Security-Policy")
            if policy:
                rule.headers["Content-Security-Policy"] = policy.replace(
                    "connect-src 'self'", f"connect-src 'self' {origin}"
                )
        path.write_text(format_headers(rules))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """The built site and the API on two origins; yields (site, api).

    It serves dist/ as `make dist` wrote it, after checking that a fresh build
    of the current sources gives the same files. Without dist/ it serves the
    fresh build.
    """
    work = tmp_path_factory.mktemp("deploy")
    fresh = work / "fresh"
    subprocess.run(
        [sys.executable, "-m", "deploy", "--out", str(fresh)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    source = fresh
    if (DIST / "build.json").is_file():
        built = json.loads((DIST / "build.json").read_text())
        expected = json.loads((fresh / "build.json").read_text())
        same_page = (DIST / "index.html").read_text() == (
            fresh / "index.html"
        ).read_text()
        if built != expected or not same_page:
            pytest.fail(
                "dist/ is out of date or was built with RUNTIME=cdn; run `make dist`."
            )
        source = DIST

    site = StaticSite(work / "site", work / "static.log")
    shutil.copytree(source, site.site)
    site.start()
    api = ApiServer(work / "api")
    try:
        api.start("--allow-origin", site.url)
    except RuntimeError:
        site.stop()
        raise
    default_config = {"apiBaseUrl": api.url}
    site.write_config(default_config)
    site.allow_connect(api.url)
    site.default_config = default_config
    yield site, api
    api.stop()
    site.stop()


@pytest.fixture(autouse=True)
def reset_deployment(deployment):
    """Restore config.json and reset the API before each test."""
    site, api = deployment
    api.reset()
    site.write_config(site.default_config)


@pytest.fixture
def site_page(browser: Browser, reset_deployment):
    context = browser.new_context(
        accept_downloads=True, viewport={"width": 1100, "height": 900}
    )
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.probe = PageProbe(page)
    page.set_default_timeout(30_000)
    yield page
    context.close()


def wait_ready(page: Page) -> None:
    page.wait_for_function(
        "() => window.uploaderReady === true", timeout=READY_TIMEOUT_MS
    )


def sign_in(page: Page) -> None:
    page.get_by_label("Username").fill(DEMO_USER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#workspace").wait_for(state="visible")


def violations(page: Page) -> list[str]:
    return page.evaluate("() => window.cspViolations")


def test_dist_works_across_origins_under_csp(site_page, deployment, tmp_path):
    site, api = deployment
    page = site_page
    api_origin = urlsplit(api.url).netloc

    response = page.goto(site.url + "/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert f"connect-src 'self' {api.url}" in policy
    assert response.headers["cache-control"] == "no-cache"
    wait_ready(page)
    sign_in(page)

    add_files(page, write_text_file(tmp_path, "notes.txt", "The big dog runs fast.\n"))
    wait_status(page, "notes.txt", "succeeded")
    with page.expect_download() as download_info:
        page.locator("#queue li", has_text="notes.txt").get_by_role(
            "button", name="Download"
        ).click()
    download = download_info.value
    assert download.suggested_filename.startswith("notes")
    assert Path(download.path()).read_text().strip() != ""
    api_calls = [url for url in page.probe.requests if "/api/" in url]
    assert api_calls
    assert all(urlsplit(url).netloc == api_origin for url in api_calls)

    # The refresh cookie set by the API's origin signs the user in again.
    refreshes_before = api.stats()["refreshCalls"]
    page.reload()
    wait_ready(page)
    page.locator("#workspace").wait_for(state="visible")
    assert page.locator("#sign-in").is_hidden()
    assert api.stats()["refreshCalls"] == refreshes_before + 1

    assert violations(page) == []
    assert page.probe.errors == []

    # The policy is enforced: an injected inline script does not run.
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.head.append(script);
            return window.inlineRan === true;
        }"""
    )
    assert ran is False
    page.wait_for_function("() => window.cspViolations.length > 0")
    assert violations(page)[0].startswith("script-src")


def test_dist_invalid_config_shows_error(site_page, deployment):
    site, _ = deployment
    site.write_config(
        {"apiBaseUrl": site.default_config["apiBaseUrl"], "concurrency": 0}
    )
    page = site_page

    page.goto(site.url + "/")
    page.wait_for_function(
        "() => document.getElementById('startup').textContent.includes('cannot start')",
        timeout=READY_TIMEOUT_MS,
    )

    message = page.locator("#startup").text_content()
    assert "concurrency" in message
    assert "1 to 16" in message
    assert page.evaluate("() => window.uploaderReady") is False
    assert violations(page) == []


def test_dist_second_visit_transfers_less(browser: Browser, deployment, tmp_path):
    site, _ = deployment
    # A profile on disk, as a person's browser has: the in-memory cache of a
    # fresh Playwright context does not keep entries as large as the 9.6 MB
    # WebAssembly module.
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
    )
    try:
        cold_bytes = measure_visit(context.new_page(), site.url + "/")
        warm_bytes = measure_visit(context.new_page(), site.url + "/")
    finally:
        context.close()
    print(f"\nbytes received: first visit {cold_bytes}, second visit {warm_bytes}")

    assert cold_bytes > 10_000_000
    assert warm_bytes < 100_000


def measure_visit(page: Page, url: str) -> int:
    """Open `url` and wait until the uploader is ready; return bytes received."""
    session = page.context.new_cdp_session(page)
    received = []
    session.on(
        "Network.loadingFinished",
        lambda event: received.append(event["encodedDataLength"]),
    )
    session.send("Network.enable")
    page.set_default_timeout(READY_TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    wait_ready(page)
    session.detach()
    page.close()
    return int(sum(received))


def test_dist_files_dropped_before_ready_are_queued(site_page, deployment, tmp_path):
    site, _ = deployment
    page = site_page
    held = []
    # Holding the entry module keeps Python from starting until the drop is done.
    entry_module = re.compile(r"/app/main\.[0-9a-f]+\.py$")
    page.route(entry_module, lambda route: held.append(route))

    page.goto(site.url + "/", wait_until="domcontentloaded")
    page.wait_for_function("() => window.uploaderBoot !== undefined")
    page.evaluate(
        """() => {
            const transfer = new DataTransfer();
            const type = {type: "text/plain"};
            transfer.items.add(new File(["Cats sleep.\\n"], "early-one.txt", type));
            transfer.items.add(new File(["Birds sing.\\n"], "early-two.txt", type));
            document.body.dispatchEvent(new DragEvent("drop", {
                dataTransfer: transfer, bubbles: true, cancelable: true,
            }));
        }"""
    )
    note = page.locator("#early-files")
    assert note.is_visible()
    assert "2 files received" in note.text_content()
    assert page.evaluate("() => window.uploaderReady") is False

    # Python cannot start before the held request is released, so this polls
    # for an event, with a bound, and does not wait for time to pass.
    for _ in range(600):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page never requested app/main.py"
    held[0].continue_()
    page.unroute(entry_module)
    wait_ready(page)
    assert "Sign in" in note.text_content()
    sign_in(page)

    wait_status(page, "early-one.txt", "succeeded")
    wait_status(page, "early-two.txt", "succeeded")
    assert note.is_hidden()
    assert violations(page) == []
