"""Command line: ``python -m bench [--runs N] [--scenarios ...]``.

Runs each scenario `--runs` times; within a round the targets take turns
(the first target rotates each round), so a change in the machine's load
falls on all of them alike. The throughput and many-files scenarios start
with one unrecorded warm-up run. Prints the machine, the versions, every run and
a Markdown table of medians with the app's ratio to each peer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench import report
from bench.files import KIB, MIB, write_large_file, write_small_files
from bench.scenarios import TARGETS, run_many_files, run_startup, run_throughput
from bench.server import PEERS_SITE, ROOT, BenchServer, make_site

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags of the browser tests (e2e/support.py): no hosts besides the server.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCENARIOS = ("startup", "throughput", "many")
# Scenarios that start with one unrecorded run.
WARMED_UP = ("throughput", "many")
CONCURRENCY = 6


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Compare the upload app with plain JavaScript and Uppy pages.",
    )
    parser.add_argument(
        "--runs",
        type=_positive_int,
        default=3,
        help="runs of each scenario per target (default: 3)",
    )
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=SCENARIOS,
        default=list(SCENARIOS),
        help="scenarios to run (default: all)",
    )
    parser.add_argument(
        "--targets",
        nargs="+",
        choices=[target.name for target in TARGETS],
        default=[target.name for target in TARGETS],
        help="uploaders to compare (default: all)",
    )
    parser.add_argument(
        "--large-mib", type=_positive_int, default=512, help="size of the large file in MiB (default: 512)"
    )
    parser.add_argument(
        "--files", type=_positive_int, default=1000, help="number of small files (default: 1000)"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also write every run and the medians to this file"
    )
    return parser


def machine_description(browser_version: str) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kib = 0
    try:
        memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    peers = json.loads((ROOT / "bench/peers/package.json").read_text())["dependencies"]
    runtime = json.loads((ROOT / "package.json").read_text())["dependencies"]
    return {
        "cpu": f"{os.cpu_count()} x {cpu}",
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "chromium": browser_version,
        "pyodide": runtime.get("pyodide"),
        "pyscript": runtime.get("@pyscript/core"),
        "uppy_core": peers.get("@uppy/core"),
        "uppy_xhr_upload": peers.get("@uppy/xhr-upload"),
        "esbuild": peers.get("esbuild"),
    }


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not (PEERS_SITE / "uppy.js").is_file():
        print("The comparison pages are not built; run `make bench`.", file=sys.stderr)
        return 2
    targets = [target for target in TARGETS if target.name in args.targets]
    large_size = args.large_mib * MIB

    with tempfile.TemporaryDirectory(prefix="uploader-bench-") as work:
        work_dir = Path(work)
        site = make_site(
            work_dir / "site", max_file_bytes=large_size + MIB, concurrency=CONCURRENCY
        )
        large = write_large_file(work_dir, large_size)
        small = []
        if "many" in args.scenarios:
            small = write_small_files(work_dir / "small", args.files, 2 * KIB, 200 * KIB)
        server = BenchServer(work_dir, site, max_upload_bytes=large_size + 2 * MIB)
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )


                def launch_profile(profile_dir: Path):
                    return playwright.chromium.launch_persistent_context(
                        profile_dir,
                        executable_path=CHROMIUM,
                        args=CHROMIUM_ARGS,
                        headless=True,
                        viewport={"width": 1100, "height": 900},
                    )

                try:
                    output = run_all(
                        args, browser, launch_profile, server, targets, large, small
                    )
                finally:
                    browser.close()
        finally:
            server.stop()

    print()
    print(report.table(output["medians"], [target.name for target in targets]))
    if args.json is not None:
        args.json.write_text(json.dumps(output, indent=2) + "\n")
    return 0


def run_all(
    args, browser, launch_profile, server, targets, large: Path, small: list[Path]
) -> dict:
    output = {
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "machine": machine_description(browser.version),
        "load_before": load_average(),
        "runs": {},
    }
    print(json.dumps(output["machine"], indent=2))
    print(f"load average before: {output['load_before']}")
    started = time.monotonic()
    jobs = {
        "startup": (
            "start-up",
            lambda target: run_startup(
                launch_profile,
                server,
                target,
                Path(tempfile.mkdtemp(prefix="profile-", dir=server.work_dir)),
            ),
        ),
        "throughput": (
            "throughput",
            lambda target: run_throughput(browser, server, target, large),
        ),
        "many": (
            "many files",
            lambda target: run_many_files(browser, server, target, small),
        ),
    }
    for key in SCENARIOS:
        if key not in args.scenarios:
            continue
        scenario, run = jobs[key]
        results = output["runs"].setdefault(scenario, {t.name: [] for t in targets})
        if key in WARMED_UP:
            # In three runs the first 512 MiB upload, whichever page made it,
            # ran at a third to a half of the speed of the later ones.
            run(targets[-1])
            print(f"{scenario} warm-up {targets[-1].name}: not recorded", flush=True)
        for round_index in range(args.runs):
            shift = round_index % len(targets)
            for target in targets[shift:] + targets[:shift]:
                result = run(target)
                result["load"] = load_average()
                results[target.name].append(result)
                shown = ", ".join(
                    f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
                    for name, value in result.items()
                )
                print(f"{scenario} run {round_index + 1} {target.name}: {shown}", flush=True)
    output["load_after"] = load_average()
    output["seconds"] = round(time.monotonic() - started)
    output["medians"] = report.medians(
        {
            scenario: {
                name: [{k: v for k, v in run.items() if k != "load"} for run in runs]
                for name, runs in by_target.items()
            }
            for scenario, by_target in output["runs"].items()
        }
    )
    print(f"load average after: {output['load_after']}; took {output['seconds']} s")
    return output


if __name__ == "__main__":
    sys.exit(main())
