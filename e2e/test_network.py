"""Offline periods, flapping connections and stalls, with real uploads."""

from __future__ import annotations

from support import add_files, row, sign_in, wait_status, write_sized_file

MIB = 1024 * 1024
UPLOAD = "/p-v2/api/files/file-paraphrase"


def use_config(page, **settings) -> None:
    """Serve the page a config.json with these settings."""
    page.route("**/config.json", lambda route: route.fulfill(json=settings))


def wait_uploading(page, count: int, percent: int = 5) -> None:
    page.wait_for_function(
        """([count, percent]) => {
        const rows = [...document.querySelectorAll("#queue [data-status='uploading']")];
        return rows.filter(r => Number(r.querySelector('[role=progressbar]')
            .getAttribute('aria-valuenow')) >= percent).length >= count;
    }""",
        arg=[count, percent],
        timeout=60_000,
    )


def attempts(page, name: str) -> int:
    return int(row(page, name).get_attribute("data-attempts"))


def test_offline_pauses_and_resumes_each_once(page, context, server, tmp_path):
    server.configure(readBytesPerSecond=2 * MIB)
    files = [write_sized_file(tmp_path, f"trip-{n}.txt", 10 * MIB) for n in range(3)]
    sign_in(page, server)
    add_files(page, *files)
    wait_uploading(page, 3)

    context.set_offline(True)

    for n in range(3):
        wait_status(page, f"trip-{n}.txt", "paused")
    banner = page.get_by_role("status").filter(has_text="offline")
    assert banner.is_visible()

    context.set_offline(False)
    page.locator("#messages", has_text="Resumed 3 uploads").wait_for()
    for n in range(3):
        wait_status(page, f"trip-{n}.txt", "succeeded", timeout=120_000)

    assert banner.is_hidden()
    stats = server.stats()
    assert stats["uploadsProcessed"] == 3
    assert stats["distinctIdempotencyKeys"] == 3
    assert [attempts(page, f"trip-{n}.txt") for n in range(3)] == [1, 1, 1]


def test_flapping_connection_resumes_exactly_once(page, context, server, tmp_path):
    server.configure(readBytesPerSecond=2 * MIB)
    files = [write_sized_file(tmp_path, f"flap-{n}.txt", 8 * MIB) for n in range(2)]
    sign_in(page, server)
    add_files(page, *files)
    wait_uploading(page, 2)

    for _ in range(10):
        context.set_offline(True)
        context.set_offline(False)

    for n in range(2):
        wait_status(page, f"flap-{n}.txt", "succeeded", timeout=120_000)
    stats = server.stats()
    assert stats["uploadsProcessed"] == 2
    assert stats["distinctIdempotencyKeys"] == 2
    assert [attempts(page, f"flap-{n}.txt") for n in range(2)] == [1, 1]


def test_stalled_upload_is_aborted_and_retried(page, server, tmp_path):
    use_config(page, stallTimeout=3)
    server.add_faults({"path": UPLOAD, "times": 1, "action": "stall", "seconds": 40})
    path = write_sized_file(tmp_path, "stalled.txt", 12 * MIB)
    sign_in(page, server)

    add_files(page, path)
    wait_status(page, "stalled.txt", "succeeded", timeout=60_000)

    assert attempts(page, "stalled.txt") == 2
    stats = server.stats()
    assert stats["faultsApplied"] == 1
    assert stats["uploadsProcessed"] == 1


def test_slow_steady_upload_outlasts_stall_timeout(page, server, tmp_path):
    use_config(page, stallTimeout=3)
    server.configure(readBytesPerSecond=3 * MIB)
    path = write_sized_file(tmp_path, "steady.txt", 20 * MIB)
    sign_in(page, server)

    add_files(page, path)
    wait_status(page, "steady.txt", "succeeded", timeout=120_000)

    assert attempts(page, "steady.txt") == 1
