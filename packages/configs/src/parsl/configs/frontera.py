"""Parsl's ``parsl.configs.frontera``, built from the catalog entry ``frontera``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("frontera", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("frontera")
