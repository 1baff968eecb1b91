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
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    READY_TIMEOUT_MS,
    ROOT,
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
# The page's files, linked into the soak's site folder.
SITE_ENTRIES = ("index.html", "pyscript.toml", "app", "assets", "runtime")
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
# Access token life in seconds during a run: short, so uploads meet expiry.
DEFAULT_TOKEN_TTL = 5
# Added to the plan when access tokens expire during the run.
EXPIRE_TOKEN_WEIGHT = 2
OFFLINE_SECONDS = (2.0, 4.0)
# How long a reload waits for a finished file's result to appear in the
# history panel before it counts the file as lost and adds it again.
HISTORY_TIMEOUT_MS = 15_000
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
    # Upload requests that took a rule of the fault plan.
    requests: int = 0
    # The options the run was started with, for the replay command.
    options: str = ""
    faults: Counter = field(default_factory=Counter)
    offline_periods: int = 0
    reloads: int = 0
    statuses: Counter = field(default_factory=Counter)
    attempts: Counter = field(default_factory=Counter)
    mismatched: list[str] = field(default_factory=list)
    succeeded_before_reload: set[str] = field(default_factory=set)
    # Files given back after a reload: through "Select file again", and
    # added anew because the restored queue had no row for them.
    selected_again: int = 0
    added_again: int = 0
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


def fault_plan(
    rng: random.Random, requests: int, rate: float, expire_tokens: bool
) -> tuple[list[dict], list[str]]:
    """Return one rule per expected upload request, and its kind ("pass" or a fault)."""
    weights_by_kind = dict(FAULT_WEIGHTS)
    if expire_tokens:
        weights_by_kind["expire_token"] = EXPIRE_TOKEN_WEIGHT
    kinds = list(weights_by_kind)
    weights = list(weights_by_kind.values())
    rules = []
    plan = []
    for _ in range(requests):
        if rng.random() >= rate:
            # A delay of 0 s handles the request normally and keeps its place.
            rules.append({"path": UPLOAD_PATH, "action": "delay", "seconds": 0})
            plan.append("pass")
            continue
        kind = rng.choices(kinds, weights)[0]
        plan.append(kind)
        rules.append(fault_rule(kind, rng))
    return rules, plan


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
    if kind == "expire_token":
        return {**rule, "action": "expire_token"}
    return {**rule, "action": "drop_response"}


def make_site(folder: Path) -> Path:
    """Link the page's files into `folder` beside a config.json with PAGE_CONFIG.

    The server serves this folder, so the page reads the soak's settings on
    every load, reloads included. A route would have to stay active for the
    whole run, and an active route sends every request body through the
    driver.
    """
    folder.mkdir(parents=True)
    for name in SITE_ENTRIES:
        (folder / name).symlink_to(ROOT / name)
    (folder / "config.json").write_text(json.dumps(PAGE_CONFIG))
    return folder


def open_signed_in(page: Page, server: ApiServer) -> None:
    """Open the app and sign in; set Synonyms to 0 for files added from now on."""
    sign_in(page, server)
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


@dataclass
class Schedule:
    """Seconds into the run at which the network goes down or the page reloads."""

    offline_at: list[float]
    reload_at: list[float]
    # Times at which the next selection of files is added, one per selection.
    batch_at: list[float]
    batches: list[list[Path]]


def wait_for_all(
    page: Page,
    files: list[SoakFile],
    deadline: float,
    schedule: Schedule,
    report: SoakReport,
    context,
    rng: random.Random,
) -> list[dict]:
    """Add the selections, take the network down and reload on schedule, and
    poll the rows until every event has happened and every file is finished."""
    started = time.monotonic()
    added: set[str] = set()
    while True:
        elapsed = time.monotonic() - started
        if schedule.batch_at and elapsed >= schedule.batch_at[0]:
            schedule.batch_at.pop(0)
            batch = schedule.batches.pop(0)
            add_files(page, *batch)
            added.update(path.name for path in batch)
        rows = row_states(page)
        done = [row for row in rows if row["status"] in TERMINAL]
        succeeded_before = report.succeeded_before_reload
        pending = schedule.batch_at or schedule.offline_at or schedule.reload_at
        if (
            not pending
            and len(rows) + len(succeeded_before) >= len(files)
            and len(done) == len(rows)
        ):
            return rows
        if time.monotonic() > deadline:
            signed_in = page.locator("#workspace").is_visible()
            report.failures.append(
                f"Timed out: {len(done) + len(succeeded_before)} of {len(files)} "
                f"files finished; statuses {dict(Counter(row['status'] for row in rows))}; "
                f"workspace {'shown' if signed_in else 'hidden'}; messages "
                f"{page.locator('#messages').inner_text()!r}."
            )
            return rows
        if schedule.offline_at and elapsed >= schedule.offline_at[0]:
            schedule.offline_at.pop(0)
            context.set_offline(True)
            report.offline_periods += 1
            page.wait_for_timeout(rng.uniform(*OFFLINE_SECONDS) * 1000)
            context.set_offline(False)
        if schedule.reload_at and elapsed >= schedule.reload_at[0]:
            schedule.reload_at.pop(0)
            reload_page(page, files, added, report)
        page.wait_for_timeout(250)


def reload_page(page: Page, files: list[SoakFile], added: set[str], report: SoakReport) -> None:
    """Reload mid-run, as a person pressing F5 would, and give back the files the page requests.

    Rows that succeeded before the reload are not restored, so their results
    are checked through the history instead. The rows are read once the
    page has finished restoring its queue, which it signals by filling in
    the storage status line. A restored row whose File object is gone
    offers "Select file again", and the soak selects the same file there.
    A file that was added but has no row at all is added again.
    """
    for row in row_states(page):
        if row["status"] == "succeeded":
            report.succeeded_before_reload.add(row["name"])
    report.reloads += 1
    page.reload()
    page.wait_for_function("window.uploaderReady === true", timeout=READY_TIMEOUT_MS)
    page.locator("#workspace").wait_for(state="visible", timeout=READY_TIMEOUT_MS)
    page.wait_for_function(
        "document.getElementById('storage-status').textContent !== ''",
        timeout=READY_TIMEOUT_MS,
    )
    page.evaluate("document.getElementById('opt-synonym').value = '0'")
    names = {row["name"] for row in row_states(page)}
    by_name = {file.path.name: file for file in files}
    for name in sorted(names):
        row = page.locator("#queue li[data-file-id]", has_text=name)
        select_again = row.get_by_role("button", name="Select file again")
        if name in by_name and select_again.count() == 1:
            with page.expect_file_chooser() as chooser:
                select_again.click()
            chooser.value.set_files(str(by_name[name].path))
            report.selected_again += 1
    missing = []
    for name in sorted(added):
        if name in report.succeeded_before_reload or name in names:
            continue
        # A file that succeeded between the last look at the rows and the
        # reload is not restored either; its result is in the history.
        if in_history(page, by_name[name]):
            report.succeeded_before_reload.add(name)
        else:
            missing.append(by_name[name].path)
    if missing:
        add_files(page, *missing)
        report.added_again += len(missing)


def in_history(page: Page, file: SoakFile) -> bool:
    """Wait, up to HISTORY_TIMEOUT_MS, for the file's result in the history panel."""
    entry = page.locator("#history li", has_text=f"{file.path.stem}.paraphrased")
    try:
        entry.first.wait_for(timeout=HISTORY_TIMEOUT_MS)
    except PlaywrightError:
        return False
    return True


def expected_content(file: SoakFile) -> list[str]:
    if file.kind == ".docx":
        return [paragraph.text for paragraph in docx.Document(file.path).paragraphs]
    return file.path.read_text(encoding="utf-8").splitlines()


def result_content(data: bytes, kind: str) -> list[str]:
    if kind == ".docx":
        return [paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs]
    return data.decode("utf-8").splitlines()


# Chromium starts no download for some clicks when many come within about a
# second: in this project's browser tests the 11th of 13 quick clicks on
# Download started none, while clicks 1.2 s apart downloaded all 13.
DOWNLOAD_SPACING_MS = 1200


def check_downloads(page: Page, files: list[SoakFile], report: SoakReport) -> None:
    """Download each result through its row's Download button and compare."""
    first = True
    for file in files:
        row = page.locator("#queue li[data-file-id]", has_text=file.marker)
        if row.count() != 1 or row.get_attribute("data-status") != "succeeded":
            continue
        if not first:
            page.wait_for_timeout(DOWNLOAD_SPACING_MS)
        first = False
        try:
            with page.expect_download(timeout=30_000) as download_info:
                row.get_by_role("button", name="Download").click()
            data = Path(download_info.value.path()).read_bytes()
        except PlaywrightError as error:
            report.mismatched.append(f"{file.path.name} (download failed: {error.message.splitlines()[0]})")
            continue
        if result_content(data, file.kind) != expected_content(file):
            report.mismatched.append(file.path.name)


def check_history_downloads(
    server: ApiServer, files: list[SoakFile], names: set[str], report: SoakReport
) -> None:
    """Compare the server's stored results of files whose rows a reload removed."""
    if not names:
        return
    token = server.login()
    entries = server.history(token)
    for file in files:
        if file.path.name not in names:
            continue
        matches = [entry for entry in entries if file.marker in entry["fileName"]]
        if len(matches) != 1:
            report.mismatched.append(f"{file.path.name} ({len(matches)} history entries)")
            continue
        data = server.download(matches[0]["downloadUrl"], token)
        if result_content(data, file.kind) != expected_content(file):
            report.mismatched.append(file.path.name)


@dataclass
class SoakPlan:
    """Everything a run throws, decided from the seed before it starts."""

    files: list[SoakFile]
    rules: list[dict]
    # The kind of each rule in `rules`: "pass" or a fault kind.
    kinds: list[str]
    schedule: Schedule
    budget_seconds: float
    token_ttl: int


def drive_page(
    browser: Browser,
    server: ApiServer,
    soak: SoakPlan,
    report: SoakReport,
    rng: random.Random,
) -> None:
    """Run the files through one page of a fresh context and record what it saw."""
    files = soak.files
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        probe = PageProbe(page)
        page.set_default_timeout(READY_TIMEOUT_MS)
        if soak.token_ttl > 0:
            # Set before sign-in, because a token keeps the life it was issued with.
            server.configure(accessTokenTtl=soak.token_ttl)
        open_signed_in(page, server)
        server.add_faults(*soak.rules)

        deadline = time.monotonic() + soak.budget_seconds
        rows = wait_for_all(page, files, deadline, soak.schedule, report, context, rng)
        report.statuses = Counter(row["status"] for row in rows)
        report.attempts = Counter(row["attempts"] for row in rows)
        for row in rows:
            if row["status"] != "succeeded":
                report.failures.append(f"{row['name']} ended {row['status']}: {row['detail']}")
        check_downloads(page, files, report)
        check_history_downloads(server, files, report.succeeded_before_reload, report)
        report.page_errors = list(probe.errors)
        report.stats = server.stats()
        # Each upload request takes the next rule of the plan, so the first
        # uploadsStarted rules are the ones applied.
        applied = soak.kinds[: report.stats["uploadsStarted"]]
        report.faults = Counter(kind for kind in applied if kind != "pass")
        report.requests = len(applied)
    finally:
        context.close()


def run_soak(
    files_count: int,
    seed: int,
    fault_rate: float = 0.3,
    offline_periods: int = 3,
    reloads: int = 0,
    token_ttl: int = DEFAULT_TOKEN_TTL,
    work_dir: Path | None = None,
    browser: Browser | None = None,
) -> SoakReport:
    """Run the soak; `token_ttl` > 0 sets the access token's life in seconds.

    Pass `browser` to use one that is already running (pytest's session
    browser); otherwise the soak launches its own Chromium.
    """
    rng = random.Random(seed)
    options = (
        f"--files {files_count} --seed {seed} --fault-rate {fault_rate} "
        f"--offline {offline_periods} --reloads {reloads} --token-ttl {token_ttl}"
    )
    report = SoakReport(seed=seed, files=files_count, options=options)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-", dir=work_dir) as temp:
        temp_path = Path(temp)
        inputs = temp_path / "inputs"
        inputs.mkdir()
        files = make_files(inputs, files_count, rng, seed)
        # Two rules per file cover the first attempts and most retries;
        # requests past the plan run without faults.
        rules, plan = fault_plan(rng, files_count * 2, fault_rate, token_ttl > 0)
        budget = 120 + files_count * 4
        window = max(8, files_count * 0.5)
        selections = max(1, min(4, files_count // 3))
        schedule = Schedule(
            offline_at=sorted(rng.uniform(1, window) for _ in range(offline_periods)),
            # Reloads fall in the first 60 % of the window, so that uploads are
            # still running at the last one: a large run finishes near the end
            # of its window, and rows that succeed before a reload are gone.
            reload_at=sorted(rng.uniform(2, window * 0.6) for _ in range(reloads)),
            batch_at=[0.0] + sorted(rng.uniform(0.5, window / 2) for _ in range(selections - 1)),
            batches=[[file.path for file in files[index::selections]] for index in range(selections)],
        )

        soak = SoakPlan(files, rules, plan, schedule, budget, token_ttl)

        server = ApiServer(temp_path / "server")
        server.start("--site-dir", str(make_site(temp_path / "site")))
        try:
            if browser is not None:
                drive_page(browser, server, soak, report, rng)
            else:
                with sync_playwright() as playwright:
                    own_browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                    )
                    try:
                        drive_page(own_browser, server, soak, report, rng)
                    finally:
                        own_browser.close()
        finally:
            server.stop()
    report.seconds = time.monotonic() - started
    judge(report, files_count)
    return report


def judge(report: SoakReport, files_count: int) -> None:
    stats = report.stats
    succeeded = report.statuses.get("succeeded", 0) + len(report.succeeded_before_reload)
    if succeeded != files_count:
        report.failures.append(f"{succeeded} of {files_count} files succeeded.")
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
        f"  faults injected     {sum(report.faults.values())} of {report.requests} upload requests ({faults})",
        f"  offline periods     {report.offline_periods}",
        f"  reloads             {report.reloads}",
        f"  token refreshes     {stats.get('refreshCalls', '?')}",
        "",
        "Seen:",
        f"  statuses            {dict(report.statuses)}",
        f"  succeeded before a reload  {len(report.succeeded_before_reload)}",
        f"  selected again after a reload  {report.selected_again}",
        f"  added again after a reload     {report.added_again}",
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
        lines.append(f"Replay with: .venv/bin/python e2e/soak.py {report.options}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="number of files to upload")
    parser.add_argument("--seed", type=int, default=None, help="random seed; printed when not given")
    parser.add_argument("--fault-rate", type=float, default=0.3, help="share of upload requests that fail, 0 to 1")
    parser.add_argument("--offline", type=int, default=3, help="number of offline periods")
    parser.add_argument("--reloads", type=int, default=3, help="number of page reloads")
    parser.add_argument(
        "--token-ttl", type=int, default=DEFAULT_TOKEN_TTL,
        help="access token life in seconds, with expired-token faults; 0 keeps the server's",
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    print(f"Soak seed {seed}", flush=True)
    report = run_soak(
        args.files, seed, args.fault_rate, args.offline, args.reloads, args.token_ttl
    )
    print(format_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
