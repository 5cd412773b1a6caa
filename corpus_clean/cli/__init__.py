"""The command line, a thin layer over the library: :mod:`.command` (the click commands),
:mod:`.console` (rich progress and summaries), :mod:`.render` (the dedup report as text,
Markdown or HTML), :mod:`.signals` (the stop signals' exit codes). Nothing below imports it.
"""
