"""Paths the tests use: all inside the project, so tests pass on a plain clone."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
FIXTURES = ROOT / "tests" / "fixtures"
GOLDEN = ROOT / "tests" / "golden"


def default_stop_signals() -> None:
    """``preexec_fn`` for a subprocess that a test signals: SIGINT and SIGTERM at their
    default dispositions. A job started in the background by a non-interactive shell (as CI
    may be) inherits SIGINT ignored, and corpus-clean, like Python, leaves an inherited
    ignore alone: without this, such a test's SIGINT would never arrive."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
