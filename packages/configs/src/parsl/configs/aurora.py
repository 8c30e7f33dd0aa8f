"""Parsl's ``parsl.configs.aurora``, built from the catalog entry ``aurora``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("aurora", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("aurora")
