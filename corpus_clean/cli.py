"""The command line: options -> Config -> library -> rich rendering and exit codes.

The only module that knows click and rich. Exit codes: 0 the run completed (drops are not
errors), 1 the run could not complete (``Error: ...`` on stderr names the path), 2 usage error,
130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .config import Config
from .errors import CorpusCleanError
from .pipeline import STAGE_ORDER, clean_dir
from .reader import list_input_files
from .report import Report
from .writer import OutputWriter

__all__ = ["main", "cli"]


class _DefaultCommandGroup(click.Group):
    """A group whose first argument, when it is not a command name, goes to ``clean``:
    ``corpus-clean DUMP_DIR -o OUT`` is ``corpus-clean clean DUMP_DIR -o OUT``."""

    default_command = "clean"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corpus-clean")
def cli() -> None:
    """Turn raw web text dumps into clean, deduplicated, language-tagged JSONL.

    \b
    Examples:
      corpus-clean seeds/ -o out/          # out/clean.jsonl, rejected.jsonl, dedup-report.json, stats.json
      corpus-clean seeds/ -o - | jq .text  # clean JSONL on stdout only

    Run 'corpus-clean clean --help' for the options.
    """


def _render_summary(console: Console, report: Report) -> None:
    table = Table(title="corpus-clean", title_justify="left", show_edge=False)
    table.add_column("stage")
    table.add_column("reason")
    table.add_column("records", justify="right")
    table.add_row("read", "records in", str(report.records_in))
    for stage in STAGE_ORDER:
        for reason, n in sorted(report.drops.get(stage, {}).items()):
            table.add_row(stage, reason, str(n))
    table.add_row("write", "kept", str(report.kept), style="bold")
    table.add_row("write", "rejected", str(report.rejected))
    langs = ", ".join(f"{k} {v}" for k, v in report.stats()["languages"].items())
    console.print(table)
    console.print(f"languages: {langs or '-'}")
    console.print(f"duplicate clusters: {report.duplicate_clusters}; "
                  f"marker lines stripped: {report.marker_lines}")


@cli.command("clean")
@click.argument("dump", type=click.Path(exists=True, path_type=Path), metavar="DUMP_DIR")
@click.option("-o", "--output", "output", required=True, metavar="OUT",
              help="Output directory, or '-' for clean JSONL on stdout (nothing else written).")
@click.option("--overwrite", is_flag=True,
              help="Write into OUT even if it is not empty (our four files are replaced).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr.")
def clean_command(dump: Path, output: str, overwrite: bool, quiet: bool) -> None:
    """Clean every file under DUMP_DIR (or one file) into OUT.

    Stages: read (any encoding, .gz/.bz2/.xz) -> split records -> strip machine-translation
    marker lines -> drop boilerplate -> drop spam -> exact dedup -> tag language -> write.
    Every record ends in OUT/clean.jsonl or OUT/rejected.jsonl (with stage and reason);
    OUT/dedup-report.json lists the duplicate clusters, OUT/stats.json the counts.

    Exit codes: 0 done (drops are not errors), 1 the run could not complete, 2 usage error.

    \b
    Example:
      corpus-clean seeds/ -o out/
      corpus-clean seeds/ -o - | jq -r .lang | sort | uniq -c
    """
    console = Console(stderr=True, quiet=quiet)
    warn = Console(stderr=True)
    config = Config()
    to_stdout = output == "-"
    try:
        writer = OutputWriter(None if to_stdout else Path(output),
                              stream=sys.stdout.buffer if to_stdout else None,
                              overwrite=overwrite)
        total = sum(f.path.stat().st_size for f in list_input_files(dump))
        progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                            TimeRemainingColumn(), console=console, transient=True,
                            disable=quiet or not console.is_terminal)

        with progress:
            task = progress.add_task("cleaning", total=total)

            def on_file(info, report):
                if info.error:
                    warn.print(f"warning: {info.error}", markup=False, highlight=False)
                progress.update(task, advance=info.bytes, description=info.source[-30:])

            report = clean_dir(dump, writer, config, on_file=on_file)
    except CorpusCleanError as exc:
        raise click.ClickException(str(exc)) from None
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        warn.print("Interrupted: no output was completed.", highlight=False)
        sys.exit(130)
    _render_summary(console, report)


def main() -> None:
    """Entry point of the ``corpus-clean`` console script."""
    cli(prog_name="corpus-clean")
