"""Tests of the Content-Disposition parsing used for download names."""

from __future__ import annotations

import pytest

from app.transport import filename_from_content_disposition


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="a.txt"', "a.txt"),
        ("attachment; filename=a.txt", "a.txt"),
        (
            "attachment; filename=\"r_sum_.docx\"; filename*=UTF-8''r%C3%A9sum%C3%A9.docx",
            "résumé.docx",
        ),
        ('attachment; filename="../../etc/passwd"', ".._.._etc_passwd"),
        ("attachment", None),
        (None, None),
    ],
)
def test_content_disposition_file_name(header, name):
    assert filename_from_content_disposition(header) == name
