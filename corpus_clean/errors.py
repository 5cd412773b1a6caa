"""Exceptions raised by the library. The CLI maps them to ``Error: ...`` and an exit code.

Every message names the file or directory concerned and, where there is one, the next step.
"""

from __future__ import annotations

import errno
import stat

__all__ = ["CorpusCleanError", "InputError", "OutputError", "FileReadError", "ConservationError",
           "ResumeError", "file_kind", "output_error"]


class CorpusCleanError(Exception):
    """Base class of all corpus-clean errors; the run cannot go on (CLI exit code 1)."""


class InputError(CorpusCleanError):
    """The dump as a whole cannot be processed (missing, empty, no readable file)."""


class OutputError(CorpusCleanError):
    """The output cannot be written (directory not writable, not empty, disk full)."""


class FileReadError(CorpusCleanError):
    """One input file cannot be read or decoded. The run reports it and goes on.

    Attributes:
        reason: snake_case reason (``binary_file``, ``undecodable``, ``unreadable``,
            ``not_regular_file``,
            ``corrupt_compressed``, ``truncated_file``, ``unsupported_compression``), used as
            the drop reason of the reject that accounts for the lost text.
        partial_text: for an error after some lines, the text of the incomplete last line
            (characters), so that it can be rejected rather than lost.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.partial_text = ""


class ConservationError(CorpusCleanError):
    """The end-of-run check ``records_in == kept + rejected`` failed: a bug, never input."""


class ResumeError(CorpusCleanError):
    """``--resume`` cannot use the checkpoint in the output directory (made with other
    settings or another version, or damaged); the message says how to start over."""


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words, for the messages of the errors above: ``regular file``, ``directory``, ``FIFO (named
    pipe)``, ``character device`` ..."""
    for test, name in ((stat.S_ISREG, "regular file"), (stat.S_ISDIR, "directory"),
                       (stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def output_error(path: object, exc: OSError) -> OutputError:
    """The :class:`OutputError` of an ``OSError`` writing ``path`` (a path or URL): "no space
    left on device" for a full disk, else "cannot write" and the system's reason."""
    if exc.errno == errno.ENOSPC:
        return OutputError(f"{path}: no space left on device")
    return OutputError(f"{path}: cannot write ({exc.strerror or exc})")
