"""Helpers for the browser tests: the server process, page probes, files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Flags that keep Chromium from reaching hosts other than the test server.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
# Seconds to wait for Pyodide to start in a fresh context.
READY_TIMEOUT_MS = 60_000
SERVER_START_TIMEOUT = 30.0
HISTORY_PATH = "/p-v2/api/files/history"


class ApiServer:
    """The reference server in a subprocess, and its test controls."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.log_path = data_dir / "server.log"

    def start(self, *extra: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "server",
            "--host", "127.0.0.1", "--port", "0",
            "--data-dir", str(self.data_dir / "data"),
            "--test-controls",
            "--demo-user", DEMO_USER, "--demo-password", DEMO_PASSWORD,
            *extra,
        ]
        log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log_file, text=True
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
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
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def control(self, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else b""
        request = urllib.request.Request(
            self.url + path,
            data=data if payload is not None or path != "/__test__/stats" else None,
            method="GET" if path == "/__test__/stats" else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def reset(self) -> None:
        self.control("/__test__/reset")

    def configure(self, **settings) -> None:
        self.control("/__test__/config", settings)

    def add_faults(self, *rules: dict) -> None:
        self.control("/__test__/faults", {"rules": list(rules)})

    def stats(self) -> dict:
        return self.control("/__test__/stats")

    def login(self, username: str = DEMO_USER, password: str = DEMO_PASSWORD) -> str:
        """Sign in through the API, outside any page, and return the access token."""
        request = urllib.request.Request(
            self.url + "/api/auth/login",
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["accessToken"]

    def history(self, token: str) -> list[dict]:
        return json.loads(self.get(HISTORY_PATH, token))["files"]

    def get(self, path: str, token: str) -> bytes:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()

    def download(self, path: str, token: str) -> bytes:
        return self.get(path, token)


class PageProbe:
    """What a page did: console errors, uncaught exceptions, requests."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._on_console)
        page.on("request", lambda request: self.requests.append(request.url))

    def _on_console(self, message) -> None:
        # Chromium logs every HTTP error status as a console error; those are
        # expected answers (such as 401 from the silent sign-in), not bugs.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")


def open_app(page: Page, server: ApiServer) -> None:
    page.goto(server.url + "/")
    page.wait_for_function("window.uploaderReady === true", timeout=READY_TIMEOUT_MS)


def sign_in(page: Page, server: ApiServer) -> None:
    """Open the page and sign in as the demo user."""
    open_app(page, server)
    page.get_by_label("Username").fill(DEMO_USER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#workspace").wait_for(state="visible")


def add_files(page: Page, *paths: Path) -> None:
    page.locator("input[type=file][multiple]").set_input_files([str(p) for p in paths])


def row(page: Page, name: str):
    """The queue row of the file with this name."""
    return page.locator("#queue li[data-file-id]", has_text=name)


def wait_status(page: Page, name: str, status: str, timeout: float = 60_000) -> None:
    page.locator(
        f"#queue li[data-file-id][data-status='{status}']", has_text=name
    ).wait_for(timeout=timeout)


def write_text_file(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def write_sized_file(directory: Path, name: str, size: int) -> Path:
    """Write a text file of exactly `size` bytes of English-like lines."""
    line = b"The quick brown fox jumps over the lazy dog near the river bank.\n"
    path = directory / name
    with path.open("wb") as handle:
        remaining = size
        while remaining > 0:
            chunk = (line * 16384)[:remaining]
            handle.write(chunk)
            remaining -= len(chunk)
    return path
