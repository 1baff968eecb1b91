"""A small run of the chaos soak (e2e/soak.py) as part of the browser tests.

It starts its own server, because its faults and settings must not leak
into other tests, and uses the session's browser in a fresh context. Set SOAK_SEED to replay
a run; the seed is printed either way.
"""

from __future__ import annotations

import os

from soak import format_report, run_soak

SMALL_SOAK_FILES = 12
DEFAULT_SEED = 20261204


def test_small_soak_all_files_once(browser, tmp_path):
    seed = int(os.environ.get("SOAK_SEED", DEFAULT_SEED))

    # Access tokens keep their normal life here to keep the run short;
    # `make soak` runs with 5 s tokens.
    report = run_soak(
        SMALL_SOAK_FILES, seed, reloads=2, token_ttl=0, work_dir=tmp_path, browser=browser
    )

    print(format_report(report))
    assert report.failures == []
    # Rows that succeeded before a reload are not restored; the soak checks
    # their results through the history.
    succeeded = report.statuses["succeeded"] + len(report.succeeded_before_reload)
    assert succeeded == SMALL_SOAK_FILES
    assert report.stats["uploadsProcessed"] == SMALL_SOAK_FILES
    assert report.stats["distinctIdempotencyKeys"] == SMALL_SOAK_FILES
    assert report.mismatched == []
    assert report.page_errors == []
    assert sum(report.faults.values()) > 0
    assert report.offline_periods == 3
    assert report.reloads == 2
