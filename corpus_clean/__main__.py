"""``python -m corpus_clean`` and the ``corpus-clean`` console script: the command line.

:func:`main` takes over SIGINT and SIGTERM before anything heavy is imported: a signal that
arrives while the program starts (about 0.4 s of imports) ends it at once with the same one
line and exit code (130, 143) as later, instead of a traceback from inside an import. Nothing
has been written by then. From the start of a run, :mod:`corpus_clean.cli.command` handles them.
"""

import os
import signal
import sys

from .cli.signals import STOPS


def _stop_early(signum, frame) -> None:
    """Before the command's own handlers: end at once (nothing written yet). After them (the
    command has returned, its exit code decided, the process ending): ignore the signal."""
    cli = sys.modules.get("corpus_clean.cli.command")  # maybe half-imported: hence getattr
    if getattr(getattr(cli, "_StopSignals", None), "used", False):
        return
    code, word = STOPS[signum]
    os.write(2, f"{word}: no output was completed.\n".encode())
    os._exit(code)


def main() -> None:
    """Entry point of the ``corpus-clean`` console script and of ``python -m corpus_clean``.

    Once the command has returned, both signals are ignored for the rest of the process:
    Python resets its handlers to the default while it shuts down, and a signal then would
    kill a run whose outputs are complete and whose exit code is decided."""
    for sig in STOPS:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup and friends: left ignored
            signal.signal(sig, _stop_early)
    from .cli.command import main as cli_main

    try:
        cli_main()
    finally:
        for sig in STOPS:
            signal.signal(sig, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(main())
