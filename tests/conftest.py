"""Shared pytest options and fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.paths import SEEDS


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current code (on purpose only)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    """A copy of seeds/ that a test may add files to."""
    import shutil

    d = tmp_path / "dump"
    shutil.copytree(SEEDS, d)
    return d


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of one library run on seeds/ (shared by the read-only golden tests)."""
    from corpus_clean import Config, OutputWriter, clean_dir

    out = tmp_path_factory.mktemp("seeds_out")
    clean_dir(SEEDS, OutputWriter(out, overwrite=True), Config())
    return out
