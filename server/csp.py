"""The page's Content-Security-Policy, shared by the server and the dist build.

Each source beyond ``'self'`` is there because the page failed without it
in Chromium (PyScript 0.7.31, Pyodide 314.0.7):

- ``'wasm-unsafe-eval'`` lets Pyodide compile its WebAssembly module.
- ``'unsafe-eval'`` is for PyScript, not Pyodide. When PyScript defines its
  ``<script type="py">`` handler it builds its worker hooks with
  ``Function(...)`` from source text, even for a page that starts no worker,
  and without this source PyScript stops before Python runs. Pyodide alone
  starts under the policy without it.

Inline script and style stay blocked. Scripts and styles come from files,
and the app sets styles only through the CSSOM (``element.style``), which
CSP allows. No worker, frame, font or object is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["api_origin", "content_security_policy"]

SCRIPT_SOURCES = ("'self'", "'wasm-unsafe-eval'", "'unsafe-eval'")


def content_security_policy(
    *, connect_sources: Iterable[str] = (), runtime_sources: Iterable[str] = ()
) -> str:
    """Build the policy header value.

    `connect_sources` are the API origins the page calls besides its own.
    `runtime_sources` are origins the runtime loads from, such as a CDN; they
    are allowed for scripts, styles and fetches.
    """
    runtime = _unique(runtime_sources)
    connect = _unique([*runtime, *connect_sources])
    directives = [
        ("default-src", ["'none'"]),
        ("script-src", [*SCRIPT_SOURCES, *runtime]),
        ("style-src", ["'self'", *runtime]),
        ("img-src", ["'self'"]),
        ("connect-src", ["'self'", *connect]),
        ("base-uri", ["'none'"]),
        ("form-action", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


def api_origin(api_base_url: object) -> str | None:
    """Return the origin of a `config.json` apiBaseUrl, or None if it has none."""
    if not isinstance(api_base_url, str):
        return None
    parts = urlsplit(api_base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
