#!/bin/sh
# Copy the pinned Pyodide and PyScript builds from node_modules/ into runtime/.
# Source maps, the code editor and the terminal widgets are left out because
# the page does not use them.
set -eu
rm -rf runtime/pyodide runtime/pyscript
mkdir -p runtime/pyodide runtime/pyscript
for name in pyodide.mjs pyodide.asm.mjs pyodide.asm.wasm python_stdlib.zip pyodide-lock.json; do
    cp "node_modules/pyodide/$name" runtime/pyodide/
done
for path in node_modules/@pyscript/core/dist/*; do
    case "$path" in
        *.map) ;;
        *) cp "$path" runtime/pyscript/ ;;
    esac
done
