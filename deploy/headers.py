"""The `_headers` file: response headers per path, as Netlify and Cloudflare
Pages read it.

Each rule is a path line, which may end in ``*`` to match everything below
it, followed by indented ``Name: value`` lines. `parse_headers` and
`headers_for` read the same format, so a test server can apply the file as
such a host does.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HeaderRule", "format_headers", "headers_for", "parse_headers"]


@dataclass(frozen=True)
class HeaderRule:
    # A URL path, such as "/index.html", or a prefix ending in "*".
    path: str
    headers: dict[str, str]

    def matches(self, path: str) -> bool:
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


def format_headers(rules: list[HeaderRule]) -> str:
    lines = []
    for rule in rules:
        lines.append(rule.path)
        lines.extend(f"  {name}: {value}" for name, value in rule.headers.items())
    return "\n".join(lines) + "\n"


def parse_headers(text: str) -> list[HeaderRule]:
    """Parse a `_headers` file; raise ValueError naming the line it cannot read."""
    rules: list[HeaderRule] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append(HeaderRule(line.strip(), {}))
            continue
        name, separator, value = line.strip().partition(":")
        if not rules or not separator or not name.strip():
            raise ValueError(
                f"_headers line {number} is not 'Name: value' under a path: {line!r}"
            )
        rules[-1].headers[name.strip()] = value.strip()
    return rules


def headers_for(rules: list[HeaderRule], path: str) -> dict[str, str]:
    """Return the headers for a request path; later matching rules win per name."""
    headers: dict[str, str] = {}
    for rule in rules:
        if rule.matches(path):
            headers.update(rule.headers)
    return headers
