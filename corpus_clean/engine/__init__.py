"""The engine: runs the stages over a dump, in two halves.

* the per-record half, in workers: :mod:`.tasks` (the input cut into scan tasks),
  :mod:`.work` (the per-record stages, dedup keys and MinHash signatures of one task) and
  :mod:`.packed` (the wire format of what a worker sends back);
* the ordered half, in input order: :mod:`.pipeline` (:func:`~.pipeline.clean_dir`: exact and
  near dedup, the repetition rule, the emit order, every count and write), with
  :mod:`.spill` (records waiting on disk between scan and emit) and :mod:`.resume`
  (checkpoints for ``--resume``);
* executors: :mod:`.executor` (this process, or local worker processes) and, optional,
  :mod:`.dask_executor` with :mod:`.dask_dedup` (the ordered half as shuffles on a Dask
  cluster). Dask is imported only when ``--executor dask`` is asked for.
"""
