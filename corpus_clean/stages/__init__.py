"""One module per stage. A stage has a ``name`` and ``apply(record) -> Record | Drop``.

Class names say what a stage may do: ``*Stripper`` changes text, ``*Filter`` may drop,
``*Dedup`` drops with ``duplicate_of``, ``*Tagger`` only adds fields. The order, the reasons
and how the per-record stages are built are in :mod:`corpus_clean.stages.registry`.
"""
