"""Command line: ``python -m server [--host H] [--port P] [...]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web

from .app import create_app
from .cors import normalize_origin
from .settings import DEFAULT_SITE_DIR, MIB, Settings

log = logging.getLogger("server")


def parse_settings(argv: list[str] | None = None) -> Settings:
    """Parse command-line arguments into `Settings`."""
    args = build_parser().parse_args(argv)
    values = vars(args)
    values["allow_origins"] = tuple(dict.fromkeys(values["allow_origins"]))
    return Settings(**values)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description="Run the reference API server and serve the browser app.",
    )
    _add_server_arguments(parser, Settings())
    _add_account_arguments(parser, Settings())
    return parser


def _add_server_arguments(parser: argparse.ArgumentParser, defaults: Settings) -> None:
    parser.add_argument("--host", default=defaults.host, help="address to listen on")
    parser.add_argument(
        "--port",
        type=int,
        default=defaults.port,
        help="TCP port; 0 picks a free port and prints it (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=defaults.data_dir,
        help="folder for the database, uploads and results (default: %(default)s)",
    )
    parser.add_argument(
        "--site-dir",
        type=Path,
        default=DEFAULT_SITE_DIR,
        help="folder with index.html and app/ (default: the repository root)",
    )
    parser.add_argument(
        "--test-controls",
        action="store_true",
        help="enable the /__test__/ endpoints for scripted faults",
    )
    parser.add_argument(
        "--allow-origin",
        dest="allow_origins",
        action="append",
        type=_origin,
        default=[],
        metavar="ORIGIN",
        help="origin, such as https://app.example.com, whose pages may call the"
        " API with credentials (CORS); repeat for several origins",
    )
    parser.add_argument(
        "--max-upload-bytes",
        type=_positive_int,
        default=defaults.max_upload_bytes,
        help=f"largest accepted file in bytes (default: {50 * MIB} = 50 MiB)",
    )


def _add_account_arguments(parser: argparse.ArgumentParser, defaults: Settings) -> None:
    parser.add_argument(
        "--demo-user",
        default=defaults.demo_user,
        help="user created at start, or given the demo password (default: %(default)s)",
    )
    parser.add_argument(
        "--demo-password",
        default=defaults.demo_password,
        help="password of the demo user (default: %(default)s)",
    )
    parser.add_argument(
        "--access-token-ttl",
        type=_positive_int,
        default=defaults.access_token_ttl,
        help="access token lifetime in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--refresh-token-ttl",
        type=_positive_int,
        default=defaults.refresh_token_ttl,
        help="refresh token lifetime in seconds (default: %(default)s)",
    )


def _origin(text: str) -> str:
    try:
        return normalize_origin(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


async def serve(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()

    port = runner.addresses[0][1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"Serving on http://{host}:{port}", flush=True)
    print(f"Sign in as user: {settings.demo_user}", flush=True)
    print(f"with password: {settings.demo_password}", flush=True)
    if settings.allow_origins:
        origins = ", ".join(settings.allow_origins)
        log.info("allowing cross-origin API calls from %s", origins)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    settings = parse_settings(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
