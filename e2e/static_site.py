"""A plain static file server for a built site, applying its `_headers` file.

It plays the part of a static host or CDN. It serves files as they are,
adds the headers that the site's `_headers` file lists for each path, and
responds to conditional requests through ETags. It does not serve the API.

Usage: ``python e2e/static_site.py SITE_DIR`` prints
``Serving on http://127.0.0.1:PORT`` once it accepts requests.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.headers import headers_for, parse_headers  # noqa: E402
from server.static import content_type_for  # noqa: E402


def create_app(site: Path) -> web.Application:
    site = site.resolve()

    async def serve(request: web.Request) -> web.StreamResponse:
        # `_headers` is re-read per request so a test can change it.
        header_file = site / "_headers"
        rules = parse_headers(header_file.read_text()) if header_file.is_file() else []
        relative = request.path.lstrip("/") or "index.html"
        path = (site / relative).resolve()
        if (
            not path.is_relative_to(site)
            or not path.is_file()
            or relative == "_headers"
        ):
            raise web.HTTPNotFound()
        headers = {
            "Content-Type": content_type_for(path),
            **headers_for(rules, request.path),
        }
        return web.FileResponse(path, headers=headers)

    app = web.Application()
    app.router.add_get("/{path:.*}", serve)
    return app


async def run(site: Path) -> None:
    runner = web.AppRunner(create_app(site), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    print(f"Serving on http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    asyncio.run(run(parser.parse_args().site))
