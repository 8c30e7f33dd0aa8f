"""Parsl's ``parsl.configs.toss3_llnl``, built from the catalog entry ``llnl-toss3``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("llnl-toss3", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("llnl-toss3")
