"""Medians and the table of the benchmark."""

from __future__ import annotations

from bench.report import medians, table


def test_medians_per_metric():
    results = {
        "throughput": {
            "app": [{"upload_s": 3.0}, {"upload_s": 1.0}, {"upload_s": 2.0}],
            "plain": [{"upload_s": 1.0}, {"upload_s": 1.5}, {"upload_s": 9.0}],
        }
    }

    summary = medians(results)

    assert summary["throughput"]["app"]["upload_s"] == 2.0
    assert summary["throughput"]["plain"]["upload_s"] == 1.5


def test_table_ratio_and_zero_peer():
    summary = {
        "throughput": {
            "app": {"upload_s": 3.0, "longest_task_ms": 120.0},
            "plain": {"upload_s": 1.5, "longest_task_ms": 0.0},
        }
    }

    lines = table(summary, ["app", "plain"]).splitlines()
    upload = next(line for line in lines if "large file upload" in line)
    longest = next(line for line in lines if "longest task" in line)

    assert lines[0] == "| scenario | metric | app | plain | app/plain |"
    assert upload.endswith("| 3.00 | 1.50 | 2.00 |")
    assert longest.endswith("| 120 | 0 | - |")
