"""The stop signals the command line handles, with their exit codes (128 + the signal's
number) and the first word of their message. Imports nothing heavy: :mod:`corpus_clean.__main__`
reads it before anything else is imported."""

import signal

__all__ = ["STOPS"]

#: exit code and first word of the message of each stop signal
STOPS = {signal.SIGINT: (130, "Interrupted"), signal.SIGTERM: (143, "Terminated")}
