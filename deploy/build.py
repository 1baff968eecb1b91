"""Build `dist/`: the static site with content-hashed file names.

Every file the page loads gets a name that changes with its content
(``assets/style.HASH.css``, ``app/page.HASH.py``, ``pyscript.HASH.toml``),
so a CDN may cache it for a year. Two files keep fixed names and must be
revalidated on every visit: ``index.html``, which names the current hashes,
and ``config.json``, which the page reads at start so that a deployment can
change it without a rebuild.

The runtime (Pyodide and PyScript) is either copied under
``runtime/HASH/`` (``local``) or loaded from jsDelivr at the versions pinned
in package-lock.json (``cdn``). The build also writes ``_headers`` with the
Cache-Control and Content-Security-Policy headers for hosts that read that
format (Netlify, Cloudflare Pages), and ``build.json`` with the mapping from
source paths to built paths.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from deploy.headers import HeaderRule, format_headers
from deploy.toml_writer import dump_toml
from server.csp import api_origin, content_security_policy

__all__ = [
    "BuildError",
    "BuildOptions",
    "BuildResult",
    "build",
    "content_hash",
    "hashed_path",
]

# Hex digits of SHA-256 kept in names: 64 bits, so a collision between two
# versions of one file is not a practical concern.
HASH_LENGTH = 16
CDN_ORIGIN = "https://cdn.jsdelivr.net"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Page attributes that name files the build must rewrite.
_REFERENCE_ATTRIBUTES = {"src", "href", "config"}


class BuildError(Exception):
    """The sources cannot be built into a site; the message gives the reason."""


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path
    # "local" copies the runtime into the site; "cdn" loads it from jsDelivr.
    runtime: str = "local"
    # API origins the page may call besides its own, for the CSP connect-src.
    # The origin of apiBaseUrl in config.json is always added.
    connect_sources: tuple[str, ...] = ()


@dataclass
class BuildResult:
    out: Path
    # Source path -> URL or path the built site uses, both relative to the site.
    manifest: dict[str, str] = field(default_factory=dict)
    content_security_policy: str = ""


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_path(relative: str, data: bytes) -> str:
    """Insert the content hash before the suffix: ``a/b.py`` -> ``a/b.HASH.py``."""
    path = PurePosixPath(relative)
    return str(path.with_name(f"{path.stem}.{content_hash(data)}{path.suffix}"))


def build(options: BuildOptions) -> BuildResult:
    """Write the site into `options.out`, replacing what was there."""
    if options.runtime not in ("local", "cdn"):
        raise BuildError(f"Runtime must be 'local' or 'cdn', got {options.runtime!r}.")
    root = options.root
    out = options.out
    if out.resolve() == root.resolve() or root.resolve().is_relative_to(out.resolve()):
        raise BuildError(f"The output folder {out} would replace the sources.")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    result = BuildResult(out)

    runtime_urls = _place_runtime(options, result)
    _place_assets(root, out, result.manifest)
    pyscript_config = _place_app(root, out, runtime_urls, result.manifest)
    config_values = _place_config(root, out)

    page = (root / "index.html").read_text(encoding="utf-8")
    # The entry module of `<script type="py" src>` is not in [files].
    for relative in page_references(page):
        if relative.startswith("app/") and relative.endswith(".py"):
            _copy_hashed(root, out, relative, result.manifest)
    references = {**result.manifest, "pyscript.toml": pyscript_config, **runtime_urls}
    integrity = _runtime_integrity(root) if options.runtime == "cdn" else {}
    page = rewrite_page(page, references, integrity)
    (out / "index.html").write_text(page, encoding="utf-8")

    origin = api_origin(config_values.get("apiBaseUrl"))
    connect = [*options.connect_sources, *([origin] if origin else [])]
    runtime_sources = [CDN_ORIGIN] if options.runtime == "cdn" else []
    result.content_security_policy = content_security_policy(
        connect_sources=connect, runtime_sources=runtime_sources
    )
    result.manifest["pyscript.toml"] = pyscript_config
    _write_headers(out, result, options.runtime)
    (out / "build.json").write_text(
        json.dumps({"runtime": options.runtime, "files": result.manifest}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    return result


# The runtime.


def _place_runtime(options: BuildOptions, result: BuildResult) -> dict[str, str]:
    """Copy or point to the runtime; return source path -> URL for its entry files."""
    runtime = options.root / "runtime"
    entries = ("pyodide/pyodide.mjs", "pyscript/core.js", "pyscript/core.css")
    for entry in entries:
        if not (runtime / entry).is_file():
            raise BuildError(
                f"runtime/{entry} is missing. Run `make setup` to copy the runtime."
            )
    if options.runtime == "cdn":
        versions = _pinned_versions(options.root)
        pyodide = f"{CDN_ORIGIN}/npm/pyodide@{versions['pyodide']}"
        pyscript = f"{CDN_ORIGIN}/npm/@pyscript/core@{versions['@pyscript/core']}/dist"
        return {
            "runtime/pyodide/pyodide.mjs": f"{pyodide}/pyodide.mjs",
            "runtime/pyscript/core.js": f"{pyscript}/core.js",
            "runtime/pyscript/core.css": f"{pyscript}/core.css",
        }

    files = sorted(
        path
        for path in runtime.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(runtime).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    folder = f"runtime/{digest.hexdigest()[:HASH_LENGTH]}"
    for path in files:
        target = options.out / folder / path.relative_to(runtime)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    result.manifest["runtime/"] = folder + "/"
    return {
        entry_path: f"{folder}/{entry_path.removeprefix('runtime/')}"
        for entry_path in (f"runtime/{entry}" for entry in entries)
    }


def _pinned_versions(root: Path) -> dict[str, str]:
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    versions = {}
    for name in ("pyodide", "@pyscript/core"):
        entry = lock.get("packages", {}).get(f"node_modules/{name}")
        if not entry or "version" not in entry:
            raise BuildError(f"package-lock.json does not pin {name}.")
        versions[name] = entry["version"]
    return versions


def _runtime_integrity(root: Path) -> dict[str, str]:
    """Subresource Integrity of the CDN entry files, from the identical local copies.

    jsDelivr serves the npm package's files unchanged, and runtime/ contains
    copies of the same package versions.
    NOTE: not checked against the live CDN, because the tests run offline.
    """
    integrity = {}
    for entry in ("runtime/pyscript/core.js", "runtime/pyscript/core.css"):
        digest = hashlib.sha384((root / entry).read_bytes()).digest()
        integrity[entry] = "sha384-" + base64.b64encode(digest).decode()
    return integrity


# Assets, app modules and configuration.


def _place_assets(root: Path, out: Path, manifest: dict[str, str]) -> None:
    assets = sorted(path for path in (root / "assets").rglob("*") if path.is_file())
    # Stylesheets may name other assets, so they are hashed after the rewrite.
    for path in [p for p in assets if p.suffix != ".css"] + [
        p for p in assets if p.suffix == ".css"
    ]:
        relative = path.relative_to(root).as_posix()
        data = path.read_bytes()
        if path.suffix == ".css":
            data = rewrite_css(data.decode("utf-8"), relative, manifest).encode("utf-8")
        built = hashed_path(relative, data)
        _write(out / built, data)
        manifest[relative] = built


def _place_app(
    root: Path, out: Path, runtime_urls: dict[str, str], manifest: dict[str, str]
) -> str:
    """Copy the app modules under hashed names; return the hashed pyscript.toml path."""
    source = root / "pyscript.toml"
    config = tomllib.loads(source.read_text(encoding="utf-8"))
    files = config.get("files", {})
    built_files = {}
    for url, target in files.items():
        relative = _site_path(url, "pyscript.toml [files]")
        built_files["./" + _copy_hashed(root, out, relative, manifest)] = target

    interpreter = config.get("interpreter", "")
    interpreter_path = _site_path(interpreter, "pyscript.toml interpreter")
    if interpreter_path not in runtime_urls:
        raise BuildError(
            f"pyscript.toml interpreter {interpreter!r} is not the copied runtime "
            "./runtime/pyodide/pyodide.mjs."
        )
    config["interpreter"] = _relative_url(runtime_urls[interpreter_path])
    config["files"] = built_files
    text = (
        "# Built by `make dist` from pyscript.toml; file names carry content hashes.\n"
        + dump_toml(config)
    )
    built = hashed_path("pyscript.toml", text.encode("utf-8"))
    _write(out / built, text.encode("utf-8"))
    return built


def _place_config(root: Path, out: Path) -> dict:
    """Copy config.json unchanged (or write `{}`); return its values for the CSP."""
    source = root / "config.json"
    text = source.read_text(encoding="utf-8") if source.is_file() else "{}\n"
    try:
        values = json.loads(text)
    except ValueError as error:
        raise BuildError(f"config.json is not valid JSON: {error}.") from error
    (out / "config.json").write_text(text, encoding="utf-8")
    return values if isinstance(values, dict) else {}


def _copy_hashed(root: Path, out: Path, relative: str, manifest: dict[str, str]) -> str:
    if relative in manifest:
        return manifest[relative]
    path = root / relative
    if not path.is_file():
        raise BuildError(f"{relative} is referenced but does not exist.")
    data = path.read_bytes()
    built = hashed_path(relative, data)
    _write(out / built, data)
    manifest[relative] = built
    return built


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# Rewriting references.


class _ReferenceCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _REFERENCE_ATTRIBUTES and value:
                self.references.append((tag, name, value))


def page_references(page: str) -> list[str]:
    """Return the site paths of the page's local `src`, `href` and `config`."""
    collector = _ReferenceCollector()
    collector.feed(page)
    collector.close()
    return [
        _site_path(value, f"<{tag} {attribute}>")
        for tag, attribute, value in collector.references
        if not _is_external(value)
    ]


def rewrite_page(
    page: str, references: dict[str, str], integrity: dict[str, str] | None = None
) -> str:
    """Point every local `src`, `href` and `config` of the page at its built name.

    `references` maps site paths (``assets/style.css``) to built paths or
    absolute URLs. A local reference missing from it raises BuildError, so
    the page never names a file that the site lacks or that is not hashed.
    `integrity` adds Subresource Integrity to references that become
    cross-origin URLs.
    """
    collector = _ReferenceCollector()
    collector.feed(page)
    collector.close()
    integrity = integrity or {}
    for tag, attribute, value in dict.fromkeys(collector.references):
        if _is_external(value):
            continue
        relative = _site_path(value, f"<{tag} {attribute}>")
        if relative not in references:
            relative_page = f"{relative} (in <{tag} {attribute}>)"
            raise BuildError(
                f"index.html names {relative_page}, which the build does not produce."
            )
        built = references[relative]
        replacement = f'{attribute}="{_relative_url(built)}"'
        if relative in integrity and _is_external(built):
            replacement += f' integrity="{integrity[relative]}" crossorigin="anonymous"'
        pattern = re.compile(rf'\b{attribute}\s*=\s*(["\']){re.escape(value)}\1')
        page, count = pattern.subn(replacement, page)
        if count == 0:
            raise BuildError(f"index.html: could not rewrite {attribute}={value!r}.")
    return page


_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


def rewrite_css(text: str, css_path: str, manifest: dict[str, str]) -> str:
    """Point the stylesheet's local `url(...)` references at hashed assets."""
    folder = PurePosixPath(css_path).parent

    def replace(match: re.Match) -> str:
        value = match.group(2)
        if _is_external(value) or value.startswith("#"):
            return match.group(0)
        target = _normalize(folder / value.split("?")[0].split("#")[0])
        if target not in manifest:
            raise BuildError(f"{css_path} names {value}, which is not an asset.")
        built = PurePosixPath(manifest[target])
        relative = built.relative_to(folder) if built.is_relative_to(folder) else built
        return f'url("{relative}")'

    return _CSS_URL.sub(replace, text)


def _write_headers(out: Path, result: BuildResult, runtime: str) -> None:
    page_headers = {
        "Cache-Control": REVALIDATE,
        "Content-Security-Policy": result.content_security_policy,
        "X-Content-Type-Options": "nosniff",
    }
    immutable = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    rules = [
        HeaderRule("/", page_headers),
        HeaderRule("/index.html", page_headers),
        HeaderRule("/config.json", {"Cache-Control": REVALIDATE}),
        HeaderRule("/" + result.manifest["pyscript.toml"], immutable),
        HeaderRule("/app/*", immutable),
        HeaderRule("/assets/*", immutable),
    ]
    if runtime == "local":
        rules.append(HeaderRule("/runtime/*", immutable))
    (out / "_headers").write_text(format_headers(rules), encoding="utf-8")


def _site_path(url: str, where: str) -> str:
    """Return a page-relative URL as a normalized site path, such as `app/x.py`."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or parts.query or parts.fragment:
        raise BuildError(f"{where}: {url!r} is not a plain relative path.")
    return _normalize(PurePosixPath(parts.path.lstrip("/")))


def _normalize(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                raise BuildError(f"{path} leaves the site folder.")
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _relative_url(built: str) -> str:
    return built if _is_external(built) else "./" + built


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or url.startswith("data:")
