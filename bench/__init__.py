"""Benchmark of the upload app against plain JavaScript and Uppy pages.

Run it with ``make bench``; ``python -m bench --help`` lists the options.
"""
