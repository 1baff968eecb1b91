"""A TOML writer for the value types pyscript.toml uses.

The standard library reads TOML (`tomllib`) but does not write it. This
writer covers strings, booleans, integers, floats, lists of those and
nested tables, and raises TypeError on anything else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = ["dump_toml"]


def dump_toml(values: Mapping[str, object]) -> str:
    lines: list[str] = []
    _dump_table(values, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _dump_table(
    values: Mapping[str, object], path: list[str], lines: list[str]
) -> None:
    tables = []
    for key, value in values.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables:
        lines.append("")
        lines.append("[" + ".".join(_key(part) for part in [*path, key]) + "]")
        _dump_table(value, [*path, key], lines)


def _key(key: str) -> str:
    if key and all(char.isalnum() or char in "-_" for char in key) and key.isascii():
        return key
    return _string(key)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"Cannot write {type(value).__name__} values to TOML: {value!r}")


def _string(text: str) -> str:
    # A JSON string is a valid TOML basic string: both use the same escapes
    # for quotes, backslashes and control characters.
    return json.dumps(text, ensure_ascii=False)
