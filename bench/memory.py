"""Memory of the browser's renderer processes, read from /proc (Linux).

`SystemInfo.getProcessInfo` of the DevTools protocol lists the browser's
processes with their ids. Each run has one page open, so the renderers'
growth is that page's growth; idle renderers add nothing to it. Writing
"5" to /proc/PID/clear_refs resets the peak (VmHWM) to the current RSS, so
the peak after an upload includes spikes between samples.
"""

from __future__ import annotations

from pathlib import Path


def renderer_pids(browser_session) -> list[int]:
    info = browser_session.send("SystemInfo.getProcessInfo")
    return [
        int(process["id"])
        for process in info["processInfo"]
        if process["type"] == "renderer"
    ]


def _status_kib(pid: int, field: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def rss_bytes(pids: list[int]) -> int:
    """Sum of the resident set sizes of `pids` that still run."""
    return sum((_status_kib(pid, "VmRSS") or 0) * 1024 for pid in pids)


def reset_peaks(pids: list[int]) -> bool:
    """Reset each process's peak RSS; return False if the kernel refused."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_bytes(pids: list[int]) -> int:
    """Sum of the peak resident set sizes of `pids` since `reset_peaks`."""
    return sum((_status_kib(pid, "VmHWM") or 0) * 1024 for pid in pids)
