"""Seeded chaos soak: many files through the real page while faults are injected.

Usage: .venv/bin/python e2e/soak.py [--files N] [--seed S] [--fault-rate R]

It starts the reference server with test controls and headless Chromium,
signs in, and adds N files of mixed sizes and types (.txt, .md, .docx) with
Synonyms at 0, so each result must equal its input. The server's fault rules
are a seeded plan in which about R of the upload requests fail (bodies
dropped part-way, 500/502/503, 429 with Retry-After, stalls, responses lost
after processing); the browser also goes offline a few times. At the end it
checks that every file succeeded, that the server processed each file once
(uploadsProcessed == distinctIdempotencyKeys == N), that every downloaded
result equals its own input, that the page logged no error and that no file
needed more attempts than the retry policy allows. It prints what it injected
and what it saw, and exits 1 if a check failed.

The same seed gives the same files, the same fault sequence and the same
offline schedule. Which upload meets which fault depends on the order in
which requests reach the server, so a replay is close but not identical.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import docx
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    READY_TIMEOUT_MS,
    ApiServer,
    PageProbe,
    add_files,
    sign_in,
)

UPLOAD_PATH = "/p-v2/api/files/file-paraphrase"
TERMINAL = ("succeeded", "failed", "cancelled", "auth-required")
# Page settings for the soak. Retries are raised from the default 3 because
# with 30 % of requests failing, 4 attempts in a row fail for about 1 file
# in 120; the short delays keep the run short.
PAGE_CONFIG = {
    "maxRetries": 8,
    "initialDelay": 0.5,
    "maxDelay": 3,
    "maxRetryAfter": 5,
    "stallTimeout": 5,
    "processingTimeout": 30,
}
# Fault kinds and their share of the injected faults.
FAULT_WEIGHTS = {
    "drop": 3,
    "status_500": 1,
    "status_502": 1,
    "status_503": 1,
    "status_429": 2,
    "stall": 1,
    "drop_response": 2,
}
OFFLINE_SECONDS = (2.0, 4.0)
WORDS = (
    "river bank quick brown fox lazy dog careful engineer small function clear "
    "test document upload server network progress retry window garden light"
).split()


@dataclass
class SoakFile:
    path: Path
    marker: str
    kind: str
    size: int


@dataclass
class SoakReport:
    seed: int
    files: int
    faults: Counter = field(default_factory=Counter)
    offline_periods: int = 0
    reloads: int = 0
    statuses: Counter = field(default_factory=Counter)
    attempts: Counter = field(default_factory=Counter)
    mismatched: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def make_files(directory: Path, count: int, rng: random.Random, seed: int) -> list[SoakFile]:
    """Write `count` files with a unique marker each; sizes from 1 KB to ~2 MB."""
    files = []
    for index in range(count):
        marker = f"soak-{seed}-{index:04}"
        kind = rng.choice((".txt", ".txt", ".md", ".docx"))
        roll = rng.random()
        if roll < 0.7:
            size = rng.randint(1_000, 20_000)
        elif roll < 0.95:
            size = rng.randint(20_000, 300_000)
        else:
            size = rng.randint(1_000_000, 2_000_000)
        lines = [f"File {index} carries the marker {marker}."]
        total = len(lines[0])
        while total < size:
            line = " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "."
            lines.append(line)
            total += len(line) + 1
        path = directory / f"{marker}{kind}"
        if kind == ".docx":
            document = docx.Document()
            for line in lines[: max(2, len(lines) // 8)]:
                document.add_paragraph(line)
            document.save(path)
        else:
            heading = [f"# Soak file {index}", ""] if kind == ".md" else []
            path.write_text("\n".join(heading + lines) + "\n", encoding="utf-8")
        files.append(SoakFile(path, marker, kind, path.stat().st_size))
    return files


def fault_plan(rng: random.Random, requests: int, rate: float) -> tuple[list[dict], Counter]:
    """Return one rule per expected upload request: a fault or a pass-through."""
    kinds = list(FAULT_WEIGHTS)
    weights = list(FAULT_WEIGHTS.values())
    rules = []
    planned = Counter()
    for _ in range(requests):
        if rng.random() >= rate:
            # A delay of 0 s handles the request normally and keeps its place.
            rules.append({"path": UPLOAD_PATH, "action": "delay", "seconds": 0})
            continue
        kind = rng.choices(kinds, weights)[0]
        planned[kind] += 1
        rules.append(fault_rule(kind, rng))
    return rules, planned


def fault_rule(kind: str, rng: random.Random) -> dict:
    rule = {"path": UPLOAD_PATH}
    if kind == "drop":
        return {**rule, "action": "drop", "afterBytes": rng.choice((256, 512, 900))}
    if kind.startswith("status_"):
        status = int(kind.removeprefix("status_"))
        rule.update(action="status", status=status)
        if status == 429:
            rule["retryAfter"] = rng.choice((1, 2))
        return rule
    if kind == "stall":
        return {**rule, "action": "stall", "seconds": rng.choice((2, 3)), "afterBytes": 256}
    return {**rule, "action": "drop_response"}


def open_signed_in(page: Page, server: ApiServer) -> None:
    """Open the app with the soak's settings and sign in.

    The route serves only config.json and is removed before any upload,
    because an active route sends every request body through the driver.
    """
    page.route(
        "**/config.json",
        lambda route: route.fulfill(json=PAGE_CONFIG),
    )
    sign_in(page, server)
    page.unroute("**/config.json")
    page.evaluate("document.getElementById('opt-synonym').value = '0'")


def row_states(page: Page) -> list[dict]:
    return page.evaluate(
        """[...document.querySelectorAll('#queue li[data-file-id]')].map(row => ({
            name: row.querySelector('.row-name').textContent,
            status: row.dataset.status,
            attempts: Number(row.dataset.attempts || 0),
            detail: row.querySelector('.row-status').textContent,
        }))"""
    )


def wait_for_all(page: Page, count: int, deadline: float, offline_at: list[float], report: SoakReport, context, rng) -> list[dict]:
    """Poll the rows until all are finished, taking the network down on schedule."""
    started = time.monotonic()
    while True:
        rows = row_states(page)
        done = [row for row in rows if row["status"] in TERMINAL]
        if len(rows) >= count and len(done) == len(rows):
            return rows
        if time.monotonic() > deadline:
            report.failures.append(
                f"Timed out: {len(done)} of {count} files finished; statuses "
                f"{dict(Counter(row['status'] for row in rows))}."
            )
            return rows
        elapsed = time.monotonic() - started
        if offline_at and elapsed >= offline_at[0]:
            offline_at.pop(0)
            context.set_offline(True)
            report.offline_periods += 1
            page.wait_for_timeout(rng.uniform(*OFFLINE_SECONDS) * 1000)
            context.set_offline(False)
        page.wait_for_timeout(250)


def expected_content(file: SoakFile) -> list[str]:
    if file.kind == ".docx":
        return [paragraph.text for paragraph in docx.Document(file.path).paragraphs]
    return file.path.read_text(encoding="utf-8").splitlines()


def result_content(data: bytes, kind: str) -> list[str]:
    if kind == ".docx":
        return [paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs]
    return data.decode("utf-8").splitlines()


def check_downloads(page: Page, files: list[SoakFile], report: SoakReport) -> None:
    """Download each result through its row's Download button and compare."""
    for file in files:
        row = page.locator("#queue li[data-file-id]", has_text=file.marker)
        if row.count() != 1 or row.get_attribute("data-status") != "succeeded":
            continue
        with page.expect_download(timeout=30_000) as download_info:
            row.get_by_role("button", name="Download").click()
        data = Path(download_info.value.path()).read_bytes()
        if result_content(data, file.kind) != expected_content(file):
            report.mismatched.append(file.path.name)


def run_soak(files_count: int, seed: int, fault_rate: float = 0.3, offline_periods: int = 3, work_dir: Path | None = None) -> SoakReport:
    rng = random.Random(seed)
    report = SoakReport(seed=seed, files=files_count)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-", dir=work_dir) as temp:
        temp_path = Path(temp)
        inputs = temp_path / "inputs"
        inputs.mkdir()
        files = make_files(inputs, files_count, rng, seed)
        # Two requests per file covers the first attempts and their retries;
        # requests past the plan run without faults.
        rules, report.faults = fault_plan(rng, files_count * 2, fault_rate)
        budget = 120 + files_count * 4
        offline_at = sorted(rng.uniform(2, max(5, files_count * 0.5)) for _ in range(offline_periods))

        server = ApiServer(temp_path / "server")
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                context = browser.new_context(accept_downloads=True)
                page = context.new_page()
                probe = PageProbe(page)
                page.set_default_timeout(READY_TIMEOUT_MS)
                open_signed_in(page, server)
                server.add_faults(*rules)

                batches = max(1, min(4, files_count // 3))
                for batch in range(batches):
                    add_files(page, *[file.path for file in files[batch::batches]])
                    page.wait_for_timeout(rng.uniform(200, 1500))

                deadline = time.monotonic() + budget
                rows = wait_for_all(page, files_count, deadline, offline_at, report, context, rng)
                report.statuses = Counter(row["status"] for row in rows)
                report.attempts = Counter(row["attempts"] for row in rows)
                for row in rows:
                    if row["status"] != "succeeded":
                        report.failures.append(f"{row['name']} ended {row['status']}: {row['detail']}")
                check_downloads(page, files, report)
                report.page_errors = list(probe.errors)
                report.stats = server.stats()
                context.close()
                browser.close()
        finally:
            server.stop()
    report.seconds = time.monotonic() - started
    judge(report, files_count)
    return report


def judge(report: SoakReport, files_count: int) -> None:
    stats = report.stats
    if report.statuses.get("succeeded", 0) != files_count:
        report.failures.append(
            f"{report.statuses.get('succeeded', 0)} of {files_count} files succeeded."
        )
    processed = stats.get("uploadsProcessed")
    keys = stats.get("distinctIdempotencyKeys")
    if not processed == keys == files_count:
        report.failures.append(
            f"uploadsProcessed {processed} and distinctIdempotencyKeys {keys} "
            f"must both equal {files_count}."
        )
    if report.mismatched:
        report.failures.append(f"Results differ from their inputs: {report.mismatched}.")
    if report.page_errors:
        report.failures.append(f"The page logged errors: {report.page_errors[:5]}.")
    max_attempts = PAGE_CONFIG["maxRetries"] + 1
    over = [count for attempts, count in report.attempts.items() if attempts > max_attempts]
    if over:
        report.failures.append(f"{sum(over)} files took more than {max_attempts} attempts.")


def format_report(report: SoakReport) -> str:
    stats = report.stats
    faults = ", ".join(f"{kind} {count}" for kind, count in sorted(report.faults.items()))
    attempts = ", ".join(f"{attempts}: {count}" for attempts, count in sorted(report.attempts.items()))
    lines = [
        f"Soak: {report.files} files, seed {report.seed}, {report.seconds:.0f} s",
        "",
        "Thrown:",
        f"  faults planned      {sum(report.faults.values())} ({faults})",
        f"  faults applied      {stats.get('faultsApplied', '?')} (server count, includes pass-through rules)",
        f"  offline periods     {report.offline_periods}",
        f"  reloads             {report.reloads}",
        f"  token refreshes     {stats.get('refreshCalls', '?')}",
        "",
        "Seen:",
        f"  statuses            {dict(report.statuses)}",
        f"  attempts per file   {attempts}",
        f"  uploads started     {stats.get('uploadsStarted', '?')}",
        f"  uploads completed   {stats.get('uploadsCompleted', '?')}",
        f"  uploadsProcessed    {stats.get('uploadsProcessed', '?')}",
        f"  distinct keys       {stats.get('distinctIdempotencyKeys', '?')}",
        f"  max concurrent      {stats.get('maxConcurrentUploads', '?')}",
        f"  results mismatched  {len(report.mismatched)}",
        f"  page errors         {len(report.page_errors)}",
        "",
    ]
    if report.ok:
        lines.append(f"soak: {report.files} passed, 0 failed")
    else:
        lines.append("Failures:")
        lines.extend(f"  {failure}" for failure in report.failures)
        lines.append(f"Replay with: .venv/bin/python e2e/soak.py --files {report.files} --seed {report.seed}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="number of files to upload")
    parser.add_argument("--seed", type=int, default=None, help="random seed; printed when not given")
    parser.add_argument("--fault-rate", type=float, default=0.3, help="share of upload requests that fail, 0 to 1")
    parser.add_argument("--offline", type=int, default=3, help="number of offline periods")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    print(f"Soak seed {seed}", flush=True)
    report = run_soak(args.files, seed, args.fault_rate, args.offline)
    print(format_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
