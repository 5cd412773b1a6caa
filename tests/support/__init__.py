"""What the tests share: paths inside the project (``paths``), real-text fixtures and seed
helpers (``fixtures_util``, ``helpers_io``, ``equivalence``), synthetic dumps (``dumps``), the
fuzz checks (``fuzz_checks``), and frozen copies of code that a faster version replaced
(``reference_*``), which equivalence tests compare against."""
