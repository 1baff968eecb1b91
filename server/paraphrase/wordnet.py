"""Load WordNet 3.0 from Debian's `wordnet-base` package with nltk.

Debian installs the WordNet database files in /usr/share/wordnet, but nltk's
`WordNetCorpusReader` cannot read that folder as it is, for three reasons found in
nltk 3.10.4:

- The reader needs `lexnames`, the list of the 45 lexicographer file names, which the
  Debian package lacks. This module writes it from `LEXNAMES`, the table in the
  lexnames(5WN) manual page of WordNet 3.0.
- The reader's constructor builds a sense map for the Open Multilingual Wordnet by
  reading `index.sense` from the nltk resource "corpora/wordnet". Debian ships that
  file in the separate `wordnet-sense-index` package. When the source folder has no
  `index.sense`, an empty one is written, so only sense-key lookups, which this
  package does not use, find nothing.
- nltk refuses to open a corpus file that resolves outside the corpus root, so
  symlinks to /usr/share/wordnet are rejected. The files are copied instead.

The corpus is built at first use under `<cache>/corpora/wordnet`, where `<cache>` is
$PARAPHRASE_WORDNET_CACHE or `<repository>/.cache/wordnet`, and `<cache>` is added to
`nltk.data.path`. The source folder is $WORDNET_DIR or /usr/share/wordnet.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path

import nltk.data
from nltk.corpus.reader.wordnet import WordNetCorpusReader

from .errors import WordNetUnavailableError

DEFAULT_WORDNET_DIR = Path("/usr/share/wordnet")
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "wordnet"

# Files of the Debian `wordnet-base` package that the reader opens.
REQUIRED_FILES = (
    "adj.exc",
    "adv.exc",
    "noun.exc",
    "verb.exc",
    "cntlist.rev",
    "data.adj",
    "data.adv",
    "data.noun",
    "data.verb",
    "index.adj",
    "index.adv",
    "index.noun",
    "index.verb",
)
SENSE_INDEX_FILE = "index.sense"

# Lexicographer file numbers and names of WordNet 3.0, from lexnames(5WN). The
# syntactic category number (1 noun, 2 verb, 3 adjective, 4 adverb) follows from
# the prefix of the name.
LEXNAMES = (
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
)
_CATEGORY_NUMBERS = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}


def lexnames_text() -> str:
    """Render `LEXNAMES` in the lexnames file format: number, name, category."""
    lines = []
    for number, name in enumerate(LEXNAMES):
        category = _CATEGORY_NUMBERS[name.split(".", 1)[0]]
        lines.append(f"{number:02d}\t{name}\t{category}\n")
    return "".join(lines)


class WordNetLoader:
    """Lazily builds the corpus folder and creates one shared WordNet reader.

    The folders default to $WORDNET_DIR and $PARAPHRASE_WORDNET_CACHE, read at the
    first `reader()` call. `reader()` is safe to call from several threads.
    """

    def __init__(
        self, source_dir: Path | None = None, cache_dir: Path | None = None
    ) -> None:
        self._source_dir = source_dir
        self._cache_dir = cache_dir
        self._reader: WordNetCorpusReader | None = None
        self._lock = threading.Lock()

    def reader(self) -> WordNetCorpusReader:
        """Return the WordNet reader, building the corpus folder on the first call.

        Raises WordNetUnavailableError when the WordNet files are missing.
        """
        reader = self._reader
        if reader is not None:
            return reader

        with self._lock:
            if self._reader is None:
                self._reader = self._load()
            return self._reader

    def _load(self) -> WordNetCorpusReader:
        source_dir = self._source_dir or Path(
            os.environ.get("WORDNET_DIR") or DEFAULT_WORDNET_DIR
        )
        cache_dir = self._cache_dir or Path(
            os.environ.get("PARAPHRASE_WORDNET_CACHE") or DEFAULT_CACHE_DIR
        )

        _check_source(source_dir)
        try:
            corpus_dir = build_corpus(source_dir, cache_dir)
        except OSError as error:
            raise WordNetUnavailableError(
                f"The WordNet corpus could not be built in {cache_dir}: {error}. "
                f"Set PARAPHRASE_WORDNET_CACHE to a writable folder."
            ) from error

        data_root = str(cache_dir.resolve())
        if data_root not in nltk.data.path:
            nltk.data.path.append(data_root)

        # Without an Open Multilingual Wordnet reader nltk warns that multilingual
        # functions are unavailable; this package reads English only.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                return WordNetCorpusReader(str(corpus_dir), None)
            except (OSError, LookupError, ValueError) as error:
                raise WordNetUnavailableError(
                    f"WordNet could not be loaded from {corpus_dir}: {error}. "
                    f"Delete {cache_dir} and run `make setup`."
                ) from error


def build_corpus(source_dir: Path, cache_dir: Path) -> Path:
    """Copy the WordNet files into `<cache_dir>/corpora/wordnet` and write lexnames.

    A file is copied again when its size or modification time differs from the
    source. Each file is written under a temporary name and renamed, so concurrent
    builds never expose a partial file. Returns the corpus folder.
    """
    corpus_dir = cache_dir / "corpora" / "wordnet"
    corpus_dir.mkdir(parents=True, exist_ok=True)

    for name in REQUIRED_FILES:
        _copy_if_changed(source_dir / name, corpus_dir / name)

    sense_index = source_dir / SENSE_INDEX_FILE
    if sense_index.is_file():
        _copy_if_changed(sense_index, corpus_dir / SENSE_INDEX_FILE)
    elif not (corpus_dir / SENSE_INDEX_FILE).is_file():
        _write_atomically(corpus_dir / SENSE_INDEX_FILE, b"")

    lexnames = lexnames_text().encode("ascii")
    lexnames_path = corpus_dir / "lexnames"
    if not lexnames_path.is_file() or lexnames_path.read_bytes() != lexnames:
        _write_atomically(lexnames_path, lexnames)

    return corpus_dir


def _check_source(source_dir: Path) -> None:
    missing = [name for name in REQUIRED_FILES if not (source_dir / name).is_file()]
    if missing:
        raise WordNetUnavailableError(
            f"The WordNet database is missing from {source_dir} "
            f"(not found: {', '.join(missing)}). Run `make setup` to install the "
            f"Debian package wordnet-base, or set WORDNET_DIR to the folder that "
            f"contains the WordNet 3.0 files."
        )


def _copy_if_changed(source: Path, target: Path) -> None:
    source_stat = source.stat()
    try:
        target_stat = target.stat()
    except FileNotFoundError:
        target_stat = None

    if (
        target_stat is not None
        and target_stat.st_size == source_stat.st_size
        and target_stat.st_mtime_ns == source_stat.st_mtime_ns
    ):
        return

    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        shutil.copy2(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_atomically(target: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
