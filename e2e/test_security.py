"""Security checks in the page: where the token and file contents may go,
markup that must stay text, the refresh cookie, and the sign-in rate limit."""

from __future__ import annotations

import json
import re

from support import DEMO_USER, add_files, open_app, sign_in, wait_status, write_text_file

CONTENT_MARKER = "zebra-quartz-7781"
MARKUP_TEXT = (
    f"Plain words {CONTENT_MARKER} around "
    "<script>window.__injected = 'content'</script> and "
    "<img src=x onerror=\"window.__injected = 'content-img'\">.\n"
)
MARKUP_NAME = "<img src=x onerror=window.__injected=1>.txt"
MARKUP_BAD_NAME = "<svg onload=window.__injected=2>.txt"
HISTORY_ENTRY = {
    "id": "0123456789abcdef0123456789abcdef",
    "fileName": "<img src=x onerror=window.__injected=3>.txt",
    "size": 10,
    "createdAt": 1_700_000_000,
    "downloadUrl": "/p-v2/api/files/download/0123456789abcdef0123456789abcdef",
}

# Every record of every IndexedDB store, with Blob and File values replaced by
# a placeholder: metadata may be stored, but no token and no file text.
READ_INDEXED_DB = """
async () => {
  const out = [];
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(info.name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const name of db.objectStoreNames) {
      const records = await new Promise((resolve, reject) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      out.push(JSON.stringify(records, (key, value) =>
        value instanceof Blob ? "[blob]" : value));
    }
    db.close();
  }
  return out;
}
"""


def test_secrets_stay_out_of_storage(page, server, tmp_path):
    tokens = []
    page.on(
        "response",
        lambda response: tokens.append(response.json()["accessToken"])
        if response.url.endswith("/api/auth/login") and response.status == 200
        else None,
    )
    sign_in(page, server)
    path = write_text_file(tmp_path, "secret.txt", MARKUP_TEXT)

    add_files(page, path)
    wait_status(page, "secret.txt", "succeeded")

    assert len(tokens) == 1
    token = tokens[0]
    local = json.dumps(page.evaluate("Object.entries(localStorage)"))
    session = json.dumps(page.evaluate("Object.entries(sessionStorage)"))
    indexed = "\n".join(page.evaluate(READ_INDEXED_DB))
    for stored in (local, session, indexed):
        assert token not in stored
        assert CONTENT_MARKER not in stored
    script_cookies = page.evaluate("document.cookie")
    assert "refresh_token" not in script_cookies
    assert token not in script_cookies


def test_refresh_cookie_flags_in_browser(page, context, server):
    sign_in(page, server)

    cookies = [cookie for cookie in context.cookies() if cookie["name"] == "refresh_token"]

    assert len(cookies) == 1
    cookie = cookies[0]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/api/auth"
    # The test server listens on 127.0.0.1, where the cookie is not Secure.
    assert cookie["secure"] is False
    assert page.evaluate("document.cookie") == ""


def test_markup_renders_as_text(page, server, tmp_path):
    sign_in(page, server)
    good = write_text_file(tmp_path, MARKUP_NAME, MARKUP_TEXT)
    # A PNG signature makes the server reject it with a message that
    # repeats the name.
    bad = tmp_path / MARKUP_BAD_NAME
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(256))

    add_files(page, good, bad)
    wait_status(page, "=1>.txt", "succeeded")
    wait_status(page, "=2>.txt", "failed")
    # The server writes safe output names, so a history entry with markup
    # comes from a routed response: the page must not trust the server's text.
    page.route(
        "**/p-v2/api/files/history",
        lambda route: route.fulfill(json={"files": [HISTORY_ENTRY]}),
    )
    page.get_by_role("button", name="Refresh").click()
    page.locator("#history li", has_text="onerror").wait_for()

    queue_text = page.locator("#queue").inner_text()
    assert MARKUP_NAME in queue_text
    assert MARKUP_BAD_NAME in queue_text
    assert HISTORY_ENTRY["fileName"] in page.locator("#history").inner_text()
    for selector in ("#queue", "#history", "#messages"):
        injected = page.locator(f"{selector} img, {selector} svg, {selector} script")
        assert injected.count() == 0
    assert page.evaluate("window.__injected") is None
    assert page.probe.errors == []


def test_sign_in_rate_limit_message(page, server):
    open_app(page, server)
    error = page.locator("#sign-in-error")

    for attempt in range(6):
        page.get_by_label("Username").fill(DEMO_USER)
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.evaluate("document.getElementById('sign-in-error').textContent = ''")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_function(
            "document.getElementById('sign-in-error').textContent.length > 0"
        )

    # The wait counts down from 60 s from the fifth failure.
    assert re.fullmatch(
        r"Too many failed sign-in attempts\. Wait ([1-9]|[1-5][0-9]|60) seconds and try again\.",
        error.text_content(),
    )
    assert page.locator("#workspace").is_hidden()
