"""Reading: from a dump directory to records, the ``read`` and ``split`` stages.

* :mod:`.storage`: where the files are (local paths, fsspec URLs), :class:`InputFile`;
* :mod:`.reader`: listing a dump, opening files (regular files only), decompressing,
  deciding the encoding, repairing Unicode, streaming lines;
* :mod:`.split`: the record layouts (marker, blank, line) and the record splitter;
* :mod:`.blocks`: a file cut into blocks that workers decode and split, and
  :class:`~.blocks.FileReader`, one file's records.

Depends only on the core modules (:mod:`corpus_clean.config`, ``errors``, ``records``,
``unicode_scripts``) and the marker matcher of :mod:`corpus_clean.stages.markers`.
"""
