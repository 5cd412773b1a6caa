"""corpus-clean: turn raw web text dumps into clean, deduplicated, language-tagged JSONL.

The library is usable without the CLI::

    from pathlib import Path
    from corpus_clean import Config, OutputWriter, clean_dir

    report = clean_dir(Path("seeds"), OutputWriter(Path("out")), Config())
    print(report.kept, report.rejected)
"""

import importlib

#: where each public name lives; imported on first use (PEP 562), so that ``import
#: corpus_clean`` is cheap and the command line can take over Ctrl-C before the heavy imports
#: (NumPy, the stages) run: see :mod:`corpus_clean.__main__`
_PUBLIC = {
    "Config": "config", "CorpusCleanError": "errors", "InputError": "errors",
    "OutputError": "errors", "clean_dir": "engine.pipeline", "Drop": "records",
    "Record": "records", "Report": "output.report", "OutputWriter": "output.writer",
}

def _version() -> str:
    """The installed distribution's version (``pyproject.toml`` is its one source), or
    ``"0+unknown"`` when the package is imported from a tree that was never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("corpus-clean")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()

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


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
