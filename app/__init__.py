"""The upload manager that runs in the browser.

The plain modules here (errors, model, config, validation, retry,
persistence, network, auth, manager) import nothing from `js` or `pyodide`
and run under CPython for the tests. The browser adapters live in
`app.browser` and are the only code that touches JavaScript objects.
"""
