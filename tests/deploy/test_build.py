"""The dist build: content hashes, rewritten references, headers and CDN mode."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tomllib
from pathlib import Path

import pytest

from deploy.build import (
    BuildError,
    BuildOptions,
    build,
    content_hash,
    hashed_path,
    page_references,
    rewrite_page,
)
from deploy.headers import headers_for, parse_headers
from deploy.toml_writer import dump_toml

PAGE = """<!doctype html>
<html><head>
  <link rel="icon" href="./assets/icon.svg">
  <link rel="stylesheet" href="./runtime/pyscript/core.css">
  <link rel="stylesheet" href="assets/style.css">
  <script src="./assets/boot.js"></script>
  <script type="module" src="./runtime/pyscript/core.js"></script>
</head><body>
  <img src="./assets/icon.svg" alt="">
  <a href="https://example.com/help">Help</a>
  <script type="py" src="./app/main.py" config="./pyscript.toml"></script>
</body></html>
"""
PYSCRIPT_TOML = """interpreter = "./runtime/pyodide/pyodide.mjs"

[files]
"./app/__init__.py" = "./app/__init__.py"
"./app/queue.py" = "./app/queue.py"
"""
LOCK = {
    "packages": {
        "node_modules/pyodide": {"version": "314.0.7"},
        "node_modules/@pyscript/core": {"version": "0.7.31"},
    }
}
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A source tree shaped like the repository, with small files."""
    root = tmp_path / "src"
    files = {
        "index.html": PAGE,
        "pyscript.toml": PYSCRIPT_TOML,
        "config.json": "{}\n",
        "package-lock.json": json.dumps(LOCK),
        "assets/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "assets/style.css": "body { background: url(icon.svg); }\n",
        "assets/boot.js": "window.uploaderReady = false;\n",
        "app/__init__.py": "",
        "app/main.py": "import app.queue\n",
        "app/queue.py": "QUEUE = []\n",
        "runtime/pyodide/pyodide.mjs": "export const loadPyodide = 1;\n",
        "runtime/pyodide/pyodide.asm.wasm": "\0asm",
        "runtime/pyscript/core.js": "export {};\n",
        "runtime/pyscript/core.css": "py-script { display: none; }\n",
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def build_into(root: Path, out: Path, **options):
    return build(BuildOptions(root=root, out=out, **options))


def built_toml(out: Path) -> tuple[str, dict]:
    [path] = out.glob("pyscript.*.toml")
    return path.name, tomllib.loads(path.read_text())


def test_hashed_path_changes_with_content():
    first = hashed_path("app/queue.py", b"A = 1\n")
    same = hashed_path("app/queue.py", b"A = 1\n")
    other = hashed_path("app/queue.py", b"A = 2\n")

    assert re.fullmatch(r"app/queue\.[0-9a-f]{16}\.py", first)
    assert first == same
    assert first != other
    assert content_hash(b"A = 1\n") == hashlib.sha256(b"A = 1\n").hexdigest()[:16]


def test_build_page_names_only_built_files(root: Path, tmp_path: Path):
    out = tmp_path / "dist"
    build_into(root, out)

    page = (out / "index.html").read_text()
    references = page_references(page)
    assert len(references) == 8
    for relative in references:
        assert (out / relative).is_file(), relative
        assert re.search(r"[./][0-9a-f]{16}[./]", relative), relative
    assert "https://example.com/help" in page


def test_build_pyscript_config_maps_hashed_modules(root: Path, tmp_path: Path):
    out = tmp_path / "dist"
    build_into(root, out)

    name, config = built_toml(out)
    page = (out / "index.html").read_text()
    assert f'config="./{name}"' in page
    assert re.fullmatch(
        r"\./runtime/[0-9a-f]{16}/pyodide/pyodide\.mjs", config["interpreter"]
    )
    assert (out / config["interpreter"]).is_file()
    assert sorted(config["files"].values()) == ["./app/__init__.py", "./app/queue.py"]
    for url, target in config["files"].items():
        built = out / url
        assert built.read_bytes() == (root / target).read_bytes()


def test_build_module_change_renames_only_dependents(root: Path, tmp_path: Path):
    before = build_into(root, tmp_path / "before").manifest
    (root / "app" / "queue.py").write_text("QUEUE = [1]\n")
    after = build_into(root, tmp_path / "after").manifest

    assert before["app/queue.py"] != after["app/queue.py"]
    assert before["pyscript.toml"] != after["pyscript.toml"]
    assert before["app/main.py"] == after["app/main.py"]
    assert before["assets/style.css"] == after["assets/style.css"]
    assert before["runtime/"] == after["runtime/"]


def test_build_config_json_keeps_its_name(root: Path, tmp_path: Path):
    (root / "config.json").write_text('{"concurrency": 2}\n')
    out = tmp_path / "dist"
    build_into(root, out)

    assert (out / "config.json").read_text() == '{"concurrency": 2}\n'
    assert "config.json" not in (out / "index.html").read_text()


def test_build_rewrites_css_urls(root: Path, tmp_path: Path):
    out = tmp_path / "dist"
    result = build_into(root, out)

    css = (out / result.manifest["assets/style.css"]).read_text()
    icon = Path(result.manifest["assets/icon.svg"]).name
    assert f'url("{icon}")' in css


def test_build_headers_per_kind_of_file(root: Path, tmp_path: Path):
    (root / "config.json").write_text('{"apiBaseUrl": "https://api.example.com"}')
    out = tmp_path / "dist"
    result = build_into(root, out)
    rules = parse_headers((out / "_headers").read_text())

    page = headers_for(rules, "/index.html")
    assert page["Cache-Control"] == "no-cache"
    assert page["Content-Security-Policy"] == result.content_security_policy
    assert (
        "connect-src 'self' https://api.example.com;" in page["Content-Security-Policy"]
    )
    assert headers_for(rules, "/")["Cache-Control"] == "no-cache"
    assert headers_for(rules, "/config.json") == {"Cache-Control": "no-cache"}
    for built in result.manifest.values():
        assert headers_for(rules, "/" + built)["Cache-Control"] == IMMUTABLE, built


def test_build_connect_src_option(root: Path, tmp_path: Path):
    result = build_into(
        root, tmp_path / "dist", connect_sources=("https://api.example.com",)
    )

    assert (
        "connect-src 'self' https://api.example.com;" in result.content_security_policy
    )


def test_build_cdn_runtime(root: Path, tmp_path: Path):
    out = tmp_path / "dist"
    result = build_into(root, out, runtime="cdn")

    page = (out / "index.html").read_text()
    core = "https://cdn.jsdelivr.net/npm/@pyscript/core@0.7.31/dist/core.js"
    digest = hashlib.sha384((root / "runtime/pyscript/core.js").read_bytes()).digest()
    integrity = "sha384-" + base64.b64encode(digest).decode()
    assert f'src="{core}" integrity="{integrity}" crossorigin="anonymous"' in page
    assert "https://cdn.jsdelivr.net/npm/@pyscript/core@0.7.31/dist/core.css" in page
    _, config = built_toml(out)
    assert (
        config["interpreter"]
        == "https://cdn.jsdelivr.net/npm/pyodide@314.0.7/pyodide.mjs"
    )
    assert not (out / "runtime").exists()
    policy = result.content_security_policy
    assert (
        "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval' https://cdn.jsdelivr.net;"
        in policy
    )
    assert "connect-src 'self' https://cdn.jsdelivr.net;" in policy
    assert "/runtime/*" not in (out / "_headers").read_text()


def test_build_rejects_missing_reference(root: Path, tmp_path: Path):
    page = PAGE.replace("./assets/boot.js", "./assets/missing.js")
    (root / "index.html").write_text(page)

    with pytest.raises(BuildError, match="assets/missing.js"):
        build_into(root, tmp_path / "dist")


def test_build_rejects_missing_runtime(root: Path, tmp_path: Path):
    (root / "runtime" / "pyodide" / "pyodide.mjs").unlink()

    with pytest.raises(BuildError, match="make setup"):
        build_into(root, tmp_path / "dist")


def test_build_refuses_to_replace_sources(root: Path):
    with pytest.raises(BuildError, match="would replace the sources"):
        build_into(root, root)


def test_build_replaces_previous_output(root: Path, tmp_path: Path):
    out = tmp_path / "dist"
    (out / "app").mkdir(parents=True)
    (out / "app" / "stale.0000000000000000.py").write_text("")

    build_into(root, out)

    assert not (out / "app" / "stale.0000000000000000.py").exists()


def test_rewrite_page_keeps_layout():
    page = "<link href=\"./a.css\">\n<script src='./b.js'></script>\n"

    rewritten = rewrite_page(page, {"a.css": "a.1.css", "b.js": "b.2.js"})

    assert rewritten == '<link href="./a.1.css">\n<script src="./b.2.js"></script>\n'


def test_headers_file_round_trip():
    text = "/\n  Cache-Control: no-cache\n/app/*\n  Cache-Control: public\n"

    rules = parse_headers(text)

    assert headers_for(rules, "/") == {"Cache-Control": "no-cache"}
    assert headers_for(rules, "/app/x.py") == {"Cache-Control": "public"}
    assert headers_for(rules, "/other") == {}


def test_headers_file_rejects_orphan_header():
    with pytest.raises(ValueError, match="line 1"):
        parse_headers("  Cache-Control: no-cache\n")


def test_toml_writer_round_trip():
    values = {
        "interpreter": "./runtime/pyodide.mjs",
        "packages": ["a", "b"],
        "debug": True,
        "limit": 3,
        "files": {'./odd "name".py': "./app/x.py"},
        "js_modules": {"main": {"./x.js": "x"}},
    }

    assert tomllib.loads(dump_toml(values)) == values
