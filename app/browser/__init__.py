"""Browser adapters: the only modules that import `js` or `pyodide.ffi`."""
