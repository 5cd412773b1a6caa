"""The engine: runs the stages over a dump, in two halves.

* the per-record half, in workers: :mod:`.tasks` (the input cut into scan tasks),
  :mod:`.work` (the per-record stages, dedup keys and MinHash signatures of one task; tagging
  and rendering kept records), and :mod:`.wire`, the one definition of what crosses to the
  ordered half;
* the ordered half, in input order, written once: :mod:`.ordered` (the driver and the rules
  of the emit phase) over a backend: :mod:`.local` (indexes in this process, records spilled
  to temporary files by :mod:`.spill`, checkpoints by :mod:`.resume`) or, optional,
  :mod:`.dask_dedup` (records on the Dask workers, keys meeting in shuffles);
* executors: :mod:`.executor` (this process, or local worker processes) and
  :mod:`.dask_executor`; Dask is imported only when ``--executor dask`` is asked for;
* :mod:`.pipeline`: :func:`~.pipeline.clean_dir`, which sets a run up and tears it down.
"""
