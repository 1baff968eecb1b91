"""Tests of the app's shape: the module list PyScript loads and the JS fence."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def test_pyscript_toml_lists_every_app_module():
    config = tomllib.loads((ROOT / "pyscript.toml").read_text())
    listed = {Path(source).as_posix().removeprefix("./") for source in config["files"]}
    on_disk = {path.relative_to(ROOT).as_posix() for path in APP.rglob("*.py")}
    on_disk.discard("app/main.py")  # PyScript loads it from the script tag
    assert listed == on_disk


def test_pyscript_toml_uses_self_hosted_runtime():
    config = tomllib.loads((ROOT / "pyscript.toml").read_text())
    assert config["interpreter"].startswith("./runtime/")


def test_only_browser_adapters_import_javascript():
    offenders = []
    for path in APP.rglob("*.py"):
        if "browser" in path.parts or path.name == "main.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "js" or name.startswith("pyodide") for name in names):
                offenders.append(path.name)
    assert offenders == []
