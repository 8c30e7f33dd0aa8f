"""Parsl's ``parsl.configs.kubernetes``, built from the catalog entry ``kubernetes``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("kubernetes", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("kubernetes")
