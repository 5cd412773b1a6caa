"""One module per stage. A stage has a ``name`` and ``apply(record) -> Record | Drop``.

Class names say what a stage may do: ``*Stripper`` changes text, ``*Filter`` may drop,
``*Dedup`` drops with ``duplicate_of``, ``*Tagger`` only adds fields. The order is in
:data:`corpus_clean.records.STAGE_ORDER`; the per-record stages are built in
:func:`corpus_clean.work.build_stages`.
"""
