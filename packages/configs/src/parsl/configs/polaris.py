"""Parsl's ``parsl.configs.polaris``, built from the catalog entry ``polaris``.

Replace the placeholder parameters, or use
``parsl.configs.load_config("polaris", ...)`` with your own values.
"""

from parsl.configs.site_modules import from_catalog

config = from_catalog("polaris")
