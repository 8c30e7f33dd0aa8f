"""Parsl's ``parsl.configs.frontier``, built from the catalog entry ``frontier``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("frontier", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("frontier")
