"""Safe display names derived from untrusted upload file names.

An uploaded file name may contain path separators, "..", control characters, markup
or thousands of characters. These functions keep only its last path component and
replace every character other than letters, digits, space, "-", "_", "." and
parentheses with "_", so the result can be shown in messages and offered as a
download name. It is never used as a file system path.

    >>> output_name("../../etc/passwd.txt", ".txt")
    'passwd.paraphrased.txt'
    >>> output_name("<img src=x onerror=alert(1)>.txt", ".txt")
    'img src_x onerror_alert(1).paraphrased.txt'
"""

from __future__ import annotations

import re
import unicodedata

MAX_STEM_CHARS = 100
FALLBACK_STEM = "document"

_UNSAFE = re.compile(r"[^\w\-. ()]")
_REPEATED = re.compile(r"([_ ])[_ ]+")
_TRIMMED = "._- "


def safe_file_name(original_name: str) -> str:
    """Return the last component of `original_name` with unsafe characters replaced
    and its stem shortened to `MAX_STEM_CHARS`."""
    stem, extension = _split(_last_component(original_name))
    return _clean_stem(stem) + _clean_extension(extension)


def output_name(original_name: str, extension: str) -> str:
    """Return the download name of the paraphrased file, such as
    "report.paraphrased.docx" for "report.docx"."""
    stem, _ = _split(_last_component(original_name))
    return f"{_clean_stem(stem)}.paraphrased{extension}"


def _last_component(name: str) -> str:
    name = unicodedata.normalize("NFKC", name)
    name = "".join(character for character in name if character.isprintable())
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def _split(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem.strip(_TRIMMED):
        return name, ""
    return stem, "." + extension


def _clean_stem(stem: str) -> str:
    cleaned = _UNSAFE.sub("_", stem)
    cleaned = _REPEATED.sub(r"\1", cleaned).strip(_TRIMMED)
    cleaned = cleaned[:MAX_STEM_CHARS].rstrip(_TRIMMED)
    return cleaned or FALLBACK_STEM


def _clean_extension(extension: str) -> str:
    cleaned = _UNSAFE.sub("_", extension[1:])[:20]
    return "." + cleaned if cleaned else ""
