"""corpus-clean: turn raw web text dumps into clean, deduplicated, language-tagged JSONL.

The library is usable without the CLI::

    from pathlib import Path
    from corpus_clean import Config, OutputWriter, clean_dir

    report = clean_dir(Path("seeds"), OutputWriter(Path("out")), Config())
    print(report.kept, report.rejected)
"""

from .config import Config
from .errors import CorpusCleanError, InputError, OutputError
from .pipeline import clean_dir
from .records import Drop, Record
from .report import Report
from .writer import OutputWriter

__version__ = "0.1.0"

__all__ = [
    "Config",
    "CorpusCleanError",
    "Drop",
    "InputError",
    "OutputError",
    "OutputWriter",
    "Record",
    "Report",
    "__version__",
    "clean_dir",
]
