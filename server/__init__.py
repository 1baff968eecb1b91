"""Reference API server for the paraphrase upload manager.

It serves the upload API, sign-in with rotating refresh tokens, the history
of processed files, optional test controls for scripted faults, and the
browser app's static files. Run it with ``python -m server``; build it in
code with ``create_app(Settings(...))``.
"""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
