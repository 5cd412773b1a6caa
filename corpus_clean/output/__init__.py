"""The run's outputs: :mod:`.writer` (``clean.jsonl``, ``rejected.jsonl``, reports, renamed into
place when the run completes) and :mod:`.report` (the run's counts, ``stats.json`` and the
dedup report). Used by the engine; depends on reading (file facts) and the stage registry."""
