"""Parsl's ``parsl.configs.delta``, built from the catalog entry ``delta-gpu``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("delta-gpu", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("delta-gpu")
