"""Conversions of JavaScript values at the boundary with Python.

The Pyodide that package-lock.json pins converts JavaScript `null` to
`pyodide.ffi.jsnull`, not `None` (its `convertNullToNone` option is
deprecated), so `value is None` is false for a missing DOM node, response
header or localStorage entry. Adapters test such values with `is_null`.
"""

from __future__ import annotations

try:
    from pyodide.ffi import jsnull
except ImportError:  # older Pyodide releases convert null to None
    jsnull = None

__all__ = ["is_null", "optional_str"]


def is_null(value) -> bool:
    """Tell whether a value from JavaScript is null or undefined."""
    return value is None or value is jsnull


def optional_str(value) -> str | None:
    """Convert a JavaScript string that may be null, such as a header, to Python."""
    return None if is_null(value) else str(value)
