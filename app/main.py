"""Entry point that PyScript runs on the page's main thread."""

import asyncio
import logging

from app.browser.logs import install_console_logging
from app.browser.page import start

install_console_logging(logging.INFO)
asyncio.ensure_future(start())
