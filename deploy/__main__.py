"""Command line: ``python -m deploy [--out dist] [--runtime local|cdn]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deploy.build import BuildError, BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy",
        description="Build the static site with content-hashed file names.",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "dist", help="output folder (default: dist)"
    )
    parser.add_argument(
        "--runtime",
        choices=("local", "cdn"),
        default="local",
        help="copy Pyodide and PyScript into the site, or load them from jsDelivr"
        " (default: %(default)s)",
    )
    parser.add_argument(
        "--connect-src",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="API origin to allow in the CSP connect-src besides the page's own and"
        " config.json's apiBaseUrl; repeatable",
    )
    args = parser.parse_args(argv)
    options = BuildOptions(
        root=ROOT,
        out=args.out,
        runtime=args.runtime,
        connect_sources=tuple(args.connect_src),
    )
    try:
        result = build(options)
    except BuildError as error:
        print(f"dist build failed: {error}", file=sys.stderr)
        return 1
    print(f"Built {result.out} with the {args.runtime} runtime.")
    print(f"Content-Security-Policy: {result.content_security_policy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
