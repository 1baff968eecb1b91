"""Medians, ratios and the printed table."""

from __future__ import annotations

import statistics

# (scenario, metric key, label, number format)
ROWS = (
    ("start-up", "cold_ms", "cold load to ready (ms)", "{:.0f}"),
    ("start-up", "warm_ms", "warm load to ready (ms)", "{:.0f}"),
    ("start-up", "cold_bytes", "cold load received (KiB)", "kib"),
    ("start-up", "warm_bytes", "warm load received (KiB)", "kib"),
    ("throughput", "upload_s", "large file upload (s)", "{:.2f}"),
    ("throughput", "mib_per_s", "throughput (MiB/s)", "{:.0f}"),
    ("throughput", "start_delay_ms", "choice to request start (ms)", "{:.0f}"),
    ("throughput", "rss_growth_mib", "renderer RSS growth (MiB)", "{:.1f}"),
    ("throughput", "heap_growth_mib", "JS heap growth (MiB)", "{:.1f}"),
    ("throughput", "longest_task_ms", "longest task after selection (ms)", "{:.0f}"),
    ("many files", "rows_shown_s", "all rows shown (s)", "{:.2f}"),
    ("many files", "finished_s", "all finished (s)", "{:.1f}"),
    ("many files", "selection_task_ms", "selection task (ms)", "{:.0f}"),
    ("many files", "longest_task_ms", "longest task after selection (ms)", "{:.0f}"),
    ("many files", "storage_writes_per_s", "localStorage writes/s", "{:.1f}"),
)


def medians(results: dict) -> dict:
    """Map scenario -> target -> metric -> median over the runs."""
    summary: dict = {}
    for scenario, by_target in results.items():
        for target, runs in by_target.items():
            keys = runs[0].keys() if runs else ()
            summary.setdefault(scenario, {})[target] = {
                key: statistics.median(run[key] for run in runs) for key in keys
            }
    return summary


def _format(value: float | None, style: str) -> str:
    if value is None:
        return "-"
    if style == "kib":
        return f"{value / 1024:,.0f}"
    return style.format(value)


def _ratio(app: float | None, peer: float | None) -> str:
    if app is None or peer is None or abs(peer) < 1e-9:
        return "-"
    return f"{app / peer:.2f}"


def table(summary: dict, targets: list[str]) -> str:
    """Markdown table of the medians, with the app's ratio to each peer."""
    peers = [name for name in targets if name != "app"]
    header = ["scenario", "metric", *targets, *(f"app/{peer}" for peer in peers)]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(["---", "---"] + ["---:"] * (len(header) - 2)) + " |",
    ]
    for scenario, key, label, style in ROWS:
        by_target = summary.get(scenario)
        if not by_target:
            continue
        values = {name: by_target.get(name, {}).get(key) for name in targets}
        cells = [scenario, label]
        cells += [_format(values[name], style) for name in targets]
        cells += [_ratio(values.get("app"), values[peer]) for peer in peers]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
