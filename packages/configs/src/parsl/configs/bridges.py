"""Parsl's ``parsl.configs.bridges``, built from the catalog entry ``bridges2-rm``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("bridges2-rm", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("bridges2-rm")
