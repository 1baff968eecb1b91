"""Measure cold and warm start of the built site: time until
`window.uploaderReady` and bytes received.

Serves a copy of dist/ with e2e/static_site.py (which applies dist/_headers)
and opens it in headless Chromium with a profile on disk, as a person's
browser has. A cold visit uses a new profile; the warm visit is the second
visit in the same profile. With --throttle the DevTools protocol limits the
network to the given download rate and round-trip time.

Usage: .venv/bin/python scripts/measure_start.py [--runs 3] [--throttle 20:40]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "e2e"))

from support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

READY_TIMEOUT_MS = 180_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Measure cold and warm start of dist/."
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="cold/warm pairs (default: 3)"
    )
    parser.add_argument(
        "--throttle",
        metavar="MBIT:RTT_MS",
        help="limit the network, such as 20:40 for 20 Mbit/s and 40 ms round trip",
    )
    args = parser.parse_args()
    throttle = None
    if args.throttle:
        mbit, rtt = args.throttle.split(":")
        throttle = (float(mbit), float(rtt))

    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        shutil.copytree(ROOT / "dist", site)
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "e2e" / "static_site.py"), str(site)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            url = re.search(r"http://\S+", server.stdout.readline()).group(0) + "/"
            results = measure(url, Path(work), args.runs, throttle)
        finally:
            server.terminate()
            server.wait(timeout=10)
    report(results, throttle)


def measure(
    url: str, work: Path, runs: int, throttle
) -> dict[str, list[tuple[float, int]]]:
    results: dict[str, list[tuple[float, int]]] = {"cold": [], "warm": []}
    with sync_playwright() as playwright:
        for run in range(runs):
            context = playwright.chromium.launch_persistent_context(
                work / f"profile-{run}",
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
            )
            try:
                results["cold"].append(visit(context, url, throttle))
                results["warm"].append(visit(context, url, throttle))
            finally:
                context.close()
    return results


def visit(context, url: str, throttle) -> tuple[float, int]:
    """Open the page once; return (seconds until ready, bytes received)."""
    page = context.new_page()
    session = context.new_cdp_session(page)
    received: list[int] = []
    session.on(
        "Network.loadingFinished",
        lambda event: received.append(event["encodedDataLength"]),
    )
    session.send("Network.enable")
    if throttle:
        mbit, rtt = throttle
        rate = mbit * 1_000_000 / 8
        session.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": rtt,
                "downloadThroughput": rate,
                "uploadThroughput": rate,
            },
        )
    started = time.monotonic()
    page.goto(url)
    page.wait_for_function(
        "() => window.uploaderReady === true", timeout=READY_TIMEOUT_MS
    )
    elapsed = time.monotonic() - started
    session.detach()
    page.close()
    return elapsed, int(sum(received))


def report(results, throttle) -> None:
    network = (
        f"{throttle[0]:g} Mbit/s, {throttle[1]:g} ms RTT" if throttle else "loopback"
    )
    print(f"network: {network}")
    for kind, samples in results.items():
        times = [seconds for seconds, _ in samples]
        sizes = [size for _, size in samples]
        print(
            f"{kind}: ready in {statistics.median(times):.1f} s median "
            f"(min {min(times):.1f}, max {max(times):.1f}), "
            f"received {statistics.median(sizes) / 1e6:.3f} MB median"
        )


if __name__ == "__main__":
    main()
