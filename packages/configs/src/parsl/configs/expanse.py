"""Parsl's ``parsl.configs.expanse``, built from the catalog entry ``expanse``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("expanse", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("expanse")
