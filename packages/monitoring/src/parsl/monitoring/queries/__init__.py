"""Query helpers over a monitoring database (``pandas``: DataFrames, with the ``pandas`` extra)."""
