"""Fixtures of the Dask test modules (imported by each: pytest finds fixtures in a module's
namespace): a 2-worker LocalCluster, started by the same code path as ``--executor dask``
without an address, and the local executor's outputs on ``tests/fixtures/dask_dump`` (a 3 MB
``make_dump.py`` dump of 5 gzip files, see ``tests/fixtures/README.md``)."""

from __future__ import annotations

import pytest
from support.outputs import joined_outputs
from support.paths import FIXTURES

from corpus_clean import Config, OutputWriter, clean_dir

DUMP = FIXTURES / "dask_dump"


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    """Parts of ~300 records (8,192 by default), so that the 2,600 records of the dump are
    several parts on both workers: the shuffles, the verification and the shards go from part
    to part."""
    from corpus_clean.engine import dask_dedup

    monkeypatch.setattr(dask_dedup, "PART_RECORDS", 300)


@pytest.fixture(scope="module")
def local_out(tmp_path_factory) -> dict[str, bytes]:
    """The outputs of the in-process local executor on the dump (default settings)."""
    out = tmp_path_factory.mktemp("local")
    clean_dir(DUMP, OutputWriter(out), Config(), workers=1)
    return joined_outputs(out)


@pytest.fixture(scope="module")
def dask_executor():
    from corpus_clean.engine.dask_executor import connect

    executor = connect(None, workers=2)
    yield executor
    executor.close()
