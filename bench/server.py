"""The reference server as the benchmark runs it, and its site folder.

The site folder links the repository's page, app and runtime and adds a
`config.json` that lets the app accept the large file and run the same
number of uploads at once as the comparison pages.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS_SITE = ROOT / "bench" / "peers" / "site"
USER = "bench"
PASSWORD = "bench-password"
START_TIMEOUT = 30.0
_SITE_ENTRIES = ("index.html", "pyscript.toml", "app", "assets", "runtime")


def make_site(folder: Path, *, max_file_bytes: int, concurrency: int) -> Path:
    """Link the app's files into `folder` and write its `config.json`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in _SITE_ENTRIES:
        (folder / name).symlink_to(ROOT / name)
    config = {"maxFileBytes": max_file_bytes, "concurrency": concurrency}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


class BenchServer:
    """`python -m server` in a subprocess on a free loopback port."""

    def __init__(self, work_dir: Path, site_dir: Path, max_upload_bytes: int) -> None:
        self.work_dir = work_dir
        self.site_dir = site_dir
        self.max_upload_bytes = max_upload_bytes
        self.log_path = work_dir / "server.log"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        command = [
            sys.executable, "-m", "server",
            "--host", "127.0.0.1", "--port", "0",
            "--data-dir", str(self.work_dir / "data"),
            "--site-dir", str(self.site_dir),
            "--bench-peers", str(PEERS_SITE),
            "--max-upload-bytes", str(self.max_upload_bytes),
            "--demo-user", USER, "--demo-password", PASSWORD,
            "--test-controls",
        ]
        with self.log_path.open("w") as log_file:
            self.process = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log_file, text=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = re.search(r"Serving on (http://\S+)", line)
            if match:
                self.url = match.group(1).rstrip("/")
                return
        self.stop()
        raise RuntimeError(
            f"The server did not start; see {self.log_path}:\n"
            + self.log_path.read_text()[-2000:]
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _request(self, path: str, payload: dict | None, method: str) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def reset(self) -> None:
        """Clear uploads, history and counters between runs."""
        self._request("/__test__/reset", None, "POST")

    def stats(self) -> dict:
        return self._request("/__test__/stats", None, "GET")

    def access_token(self) -> str:
        """Sign in over HTTP; the comparison pages send this token."""
        body = self._request(
            "/api/auth/login", {"username": USER, "password": PASSWORD}, "POST"
        )
        return body["accessToken"]
