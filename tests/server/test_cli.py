"""`python -m server` starts, prints its address and serves requests."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from server.__main__ import parse_settings

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20


def read_serving_line(process: subprocess.Popen) -> str:
    """Return the 'Serving on' line; a thread reads so the wait is bounded."""
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    )
    reader.start()
    deadline = time.monotonic() + START_TIMEOUT
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line.startswith("Serving on "):
            return line.strip()
    raise AssertionError(f"no 'Serving on' line within {START_TIMEOUT} s")


def test_cli_serves_health(tmp_path: Path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
            "--test-controls",
        ],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        serving = read_serving_line(process)
        address = serving.removeprefix("Serving on ")
        with urllib.request.urlopen(address + "/api/health", timeout=5) as reply:
            health = json.load(reply)
        with urllib.request.urlopen(address + "/__test__/stats", timeout=5) as reply:
            stats = json.load(reply)
    finally:
        process.terminate()
        exit_code = process.wait(timeout=10)

    assert address.startswith("http://127.0.0.1:")
    assert not address.endswith(":0")
    assert health == {"status": "ok"}
    assert stats["uploadsStarted"] == 0
    assert (tmp_path / "data" / "server.sqlite3").is_file()
    assert exit_code == 0


def test_cli_parses_bench_peers(tmp_path: Path):
    default = parse_settings([])
    given = parse_settings(["--bench-peers", str(tmp_path)])

    assert default.bench_peers_dir is None
    assert given.bench_peers_dir == tmp_path
