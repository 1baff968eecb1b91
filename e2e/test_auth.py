"""Sessions that outlive their access tokens, against the real server.

The server's access-token lifetime is set to 2 s through the test controls,
so a batch of uploads crosses several expiries. Waits are generous and only
bound how long a test may take: no assertion depends on speed.
"""

from __future__ import annotations

import time

from support import (
    DEMO_PASSWORD,
    DEMO_USER,
    add_files,
    open_app,
    sign_in,
    wait_status,
    write_sized_file,
)

UPLOAD = "/p-v2/api/files/file-paraphrase"
# Every request under this prefix carries the access token.
FILES_API = "/p-v2/api/files/"
REFRESH = "/api/auth/refresh"
TOKEN_TTL = 2
# Milliseconds after which a token issued with TOKEN_TTL has expired.
EXPIRED_AFTER_MS = (TOKEN_TTL + 1) * 1000
SESSION_EXPIRED_TEXT = "Your session expired. Sign in to continue your uploads."
BATCH_TIMEOUT_MS = 180_000


class Traffic:
    """Upload and refresh requests that the pages sent, in arrival order."""

    def __init__(self) -> None:
        self.upload_statuses: list[int] = []
        # Statuses of every request that carried the access token.
        self.bearer_statuses: list[int] = []
        self.upload_keys: list[str] = []
        self.refresh_statuses: list[int] = []

    def watch(self, page) -> None:
        page.on("request", self._on_request)
        page.on("response", self._on_response)

    def _on_request(self, request) -> None:
        if request.url.endswith(UPLOAD):
            self.upload_keys.append(request.headers.get("idempotency-key", ""))

    def _on_response(self, response) -> None:
        if FILES_API in response.url:
            self.bearer_statuses.append(response.status)
        if response.url.endswith(UPLOAD):
            self.upload_statuses.append(response.status)
        if response.url.endswith(REFRESH):
            self.refresh_statuses.append(response.status)


def refresh_intervals(page) -> list[tuple[float, float]]:
    """Return (start, end) of each refresh request the page sent, in ms.

    Resource Timing gives times on the page's own clock; adding
    `performance.timeOrigin` puts the tabs of one browser on one clock.
    """
    return [
        tuple(pair)
        for pair in page.evaluate(
            """(path) => performance.getEntriesByType('resource')
                .filter(entry => new URL(entry.name).pathname === path)
                .map(entry => [performance.timeOrigin + entry.startTime,
                               performance.timeOrigin + entry.responseEnd])""",
            REFRESH,
        )
    ]


def overlapping_pairs(intervals: list[tuple[float, float]]) -> list:
    ordered = sorted(intervals)
    return [
        (earlier, later)
        for earlier, later in zip(ordered, ordered[1:])
        if later[0] < earlier[1]
    ]


def wait_all(page, status: str, count: int, timeout: float = BATCH_TIMEOUT_MS) -> None:
    page.wait_for_function(
        """([status, count]) => {
            const rows = document.querySelectorAll('#queue li[data-file-id]');
            return rows.length === count
                && [...rows].every(row => row.dataset.status === status);
        }""",
        arg=[status, count],
        timeout=timeout,
    )


def fill_sign_in(page) -> None:
    page.get_by_label("Username").fill(DEMO_USER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_long_batch_refreshes_once_per_expiry(page, server, tmp_path):
    # 60 KiB at 40 KiB/s keeps each upload about 1.5 s on the wire.
    server.configure(accessTokenTtl=TOKEN_TTL, readBytesPerSecond=40 * 1024)
    paths = [write_sized_file(tmp_path, f"batch-{n:02}.txt", 60 * 1024) for n in range(12)]
    signed_in_at = time.monotonic()
    sign_in(page, server)
    refreshes_before = server.stats()["refreshCalls"]
    traffic = Traffic()
    traffic.watch(page)
    # With the sign-in token expired, the first three uploads all get 401
    # with the same token.
    page.wait_for_timeout(EXPIRED_AFTER_MS)

    add_files(page, *paths)
    wait_all(page, "succeeded", 12)
    elapsed = time.monotonic() - signed_in_at

    stats = server.stats()
    refreshes = stats["refreshCalls"] - refreshes_before
    unauthorized = traffic.bearer_statuses.count(401)
    print(f"batch: {elapsed:.1f} s, {refreshes} refreshes, {unauthorized} responses 401")
    assert refreshes >= 1
    # Each refresh comes after the previous token expired, so the batch
    # can cross at most elapsed / ttl + 1 expiries.
    assert refreshes <= elapsed / TOKEN_TTL + 1
    # Only a 401 starts a refresh, and the first wave alone got three 401s
    # for one refresh.
    assert traffic.upload_statuses.count(401) >= 3
    assert unauthorized >= refreshes + 2
    assert set(traffic.refresh_statuses) == {200}
    assert stats["uploadsProcessed"] == 12
    assert stats["loginCalls"] == 1
    assert len(set(traffic.upload_keys)) == 12
    assert page.locator("#sign-in").is_hidden()
    assert page.probe.errors == []
    assert_reload_keeps_session(page, server)


def assert_reload_keeps_session(page, server) -> None:
    """Reload the page and check the refresh cookie alone signs it in."""
    with page.expect_response(lambda response: response.url.endswith(REFRESH)) as info:
        page.reload()
    page.wait_for_function("window.uploaderReady === true", timeout=60_000)

    assert info.value.status == 200
    token = info.value.json()["accessToken"]
    assert page.locator("#workspace").is_visible()
    assert page.locator("#sign-in").is_hidden()
    assert server.stats()["loginCalls"] == 1
    # The access token stays in memory, and the refresh cookie is HttpOnly.
    stored = page.evaluate(
        "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert token not in stored
    assert page.evaluate("document.cookie") == ""


def test_expired_refresh_cookie_holds_uploads(page, server, tmp_path):
    server.configure(accessTokenTtl=1, refreshTokenTtl=1)
    sign_in(page, server)
    # Later sign-ins get a long refresh cookie again.
    server.configure(refreshTokenTtl=3600)
    paths = [write_sized_file(tmp_path, f"held-{n}.txt", 64 * 1024) for n in range(4)]
    traffic = Traffic()
    traffic.watch(page)
    page.wait_for_timeout(EXPIRED_AFTER_MS)

    add_files(page, *paths)
    wait_all(page, "auth-required", 4)

    assert page.locator("#sign-in").is_visible()
    assert page.locator("#sign-in-reason").inner_text() == SESSION_EXPIRED_TEXT
    assert page.locator("#messages").get_by_text(SESSION_EXPIRED_TEXT).count() >= 1
    assert server.stats()["uploadsProcessed"] == 0
    keys_before = set(traffic.upload_keys)

    fill_sign_in(page)
    wait_all(page, "succeeded", 4)

    stats = server.stats()
    assert stats["uploadsProcessed"] == 4
    assert stats["distinctIdempotencyKeys"] == 4
    assert keys_before <= set(traffic.upload_keys)
    assert len(set(traffic.upload_keys)) == 4
    assert page.locator("#sign-in").is_hidden()
    assert page.probe.errors == []


def test_two_tabs_refresh_one_at_a_time(context, page, server, tmp_path):
    server.configure(accessTokenTtl=TOKEN_TTL, readBytesPerSecond=40 * 1024)
    sign_in(page, server)
    traffic = Traffic()
    traffic.watch(page)
    other = context.new_page()
    other.set_default_timeout(30_000)
    other_traffic = Traffic()
    other_traffic.watch(other)
    # The second tab signs in from the shared refresh cookie.
    open_app(other, server)
    other.locator("#workspace").wait_for(state="visible")
    first = [write_sized_file(tmp_path, f"tab-a-{n}.txt", 64 * 1024) for n in range(4)]
    second = [write_sized_file(tmp_path, f"tab-b-{n}.txt", 64 * 1024) for n in range(4)]
    page.wait_for_timeout(EXPIRED_AFTER_MS)

    add_files(page, *first)
    add_files(other, *second)
    wait_all(page, "succeeded", 4)
    wait_all(other, "succeeded", 4)

    intervals = refresh_intervals(page) + refresh_intervals(other)
    print(f"two tabs: {len(intervals)} refreshes, {server.stats()['refreshCalls']} counted")
    # Both tabs hit the expiry, and no refresh was rejected as reuse.
    assert traffic.upload_statuses.count(401) >= 1
    assert other_traffic.upload_statuses.count(401) >= 1
    assert set(traffic.refresh_statuses + other_traffic.refresh_statuses) == {200}
    assert len(intervals) >= 2
    assert overlapping_pairs(intervals) == []
    assert page.locator("#sign-in").is_hidden()
    assert other.locator("#sign-in").is_hidden()
    stats = server.stats()
    assert stats["uploadsProcessed"] == 8
    assert stats["loginCalls"] == 1


def close_and_collect_dialogs(page) -> list[str]:
    """Close the page as a user would; return the types of dialogs it showed."""
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    return dialogs


def test_leave_warning_only_while_uploading(context, page, server, tmp_path):
    server.configure(readBytesPerSecond=64 * 1024)
    sign_in(page, server)
    # The sign-in click gave the page the user activation that browsers
    # require before they show a leave-page dialog.
    assert close_and_collect_dialogs(page) == []

    finished = context.new_page()
    finished.set_default_timeout(30_000)
    open_app(finished, server)
    finished.get_by_role("heading", name="Upload documents").click()
    server.configure(readBytesPerSecond=0)
    add_files(finished, write_sized_file(tmp_path, "done.txt", 2048))
    bad = tmp_path / "bad.exe"
    bad.write_bytes(b"MZ")
    add_files(finished, bad)
    wait_status(finished, "done.txt", "succeeded")
    wait_status(finished, "bad.exe", "failed")
    assert close_and_collect_dialogs(finished) == []

    busy = context.new_page()
    busy.set_default_timeout(30_000)
    open_app(busy, server)
    busy.get_by_role("heading", name="Upload documents").click()
    server.configure(readBytesPerSecond=64 * 1024)
    add_files(busy, write_sized_file(tmp_path, "slow.txt", 2 * 1024 * 1024))
    busy.locator(
        "#queue li[data-file-id][data-status='uploading'],"
        " #queue li[data-file-id][data-status='processing']"
    ).wait_for()
    assert close_and_collect_dialogs(busy) == ["beforeunload"]
